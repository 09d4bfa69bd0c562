import { describe, expect, it } from 'vitest';
import { Instant } from '../../src/utils/instant.js';

const at = (text: string) => Instant.of(text);
import { Coverage, type PlanClock } from '../../src/plan/coverage.js';
import { planListing } from '../../src/plan/listing.js';
import { nextState } from '../../src/plan/next-state.js';
import { ChannelPlanner, type PlannedChannel } from '../../src/plan/plan.js';
import { selectionOf } from '../../src/plan/selection.js';
import type { StreamState } from '../../src/plan/stream-state.js';
import type { ChannelSummary } from '../../src/stream-api/channels.js';

const NOW = at('2026-06-10T00:00:00.000Z');
const COVER = at('2026-06-09T00:00:00.000Z');
const SWEPT = at('2026-06-05T00:00:00.000Z');
const OLD = at('2025-01-01T00:00:00.000Z');
/** Where a stopped sync got to: every channel created before it written. */
const MIDWAY = at('2025-06-01T00:00:00.000Z');
const clock: PlanClock = { windowEnd: NOW, lookbackHours: 0, sweepCutoff: at('2026-06-03T00:00:00.000Z') };
const selection = selectionOf({});

function windowState(overrides: Partial<StreamState> = {}): StreamState {
  return { cover: COVER, swept: SWEPT, lagging: {}, selection, ...overrides };
}

type ChannelFields = Partial<Record<'created_at' | 'updated_at' | 'last_message_at', Instant | undefined>> & { message_count?: number };

/** A channel as query channels lists it (its instants as text). */
function channel(cid: string, fields: ChannelFields = {}): ChannelSummary {
  const { created_at, updated_at, last_message_at, message_count } = { created_at: OLD, updated_at: OLD, last_message_at: OLD, ...fields };
  const summary: ChannelSummary = { cid, type: cid.split(':')[0] as string, id: cid.split(':')[1] as string };
  if (created_at !== undefined) summary.created_at = created_at.toString();
  if (updated_at !== undefined) summary.updated_at = updated_at.toString();
  if (last_message_at !== undefined) summary.last_message_at = last_message_at.toString();
  if (message_count !== undefined) summary.message_count = message_count;
  return summary;
}

/** Every channel the planner plans, as listed, with its counts once the listing is over. */
async function planChannels(listed: ChannelSummary[], coverages: Coverage[], at: PlanClock) {
  const planner = new ChannelPlanner(coverages, at);
  const channels: PlannedChannel[] = [];
  for await (const planned of planner.plan(listed)) channels.push(planned);
  return { channels, counts: planner.counts, messageEstimate: planner.messageEstimate };
}

/** One stream's coverage, and its plan for some channels: each planned channel's window start, by cid. */
function stream(name: 'messages' | 'members', state: StreamState | undefined, at: PlanClock = clock) {
  const coverage = new Coverage(name, state, at);
  const plan = async (...channels: ChannelSummary[]) => {
    const { channels: planned } = await planChannels(channels, [coverage], at);
    return Object.fromEntries(planned.map(({ cid, since }) => [cid, since]));
  };
  return { coverage, plan };
}

const active = (cid: string) => channel(cid, { last_message_at: NOW });

describe('the plan of one stream', () => {
  it('without a state, reads every channel whole (from start_date) and sweeps', async () => {
    const { coverage, plan } = stream('messages', undefined, { ...clock, startDate: at('2024-01-01T00:00:00.000Z') });
    expect(await plan(channel('a:1'))).toEqual({ 'a:1': at('2024-01-01T00:00:00.000Z') });
    expect(coverage.sweepDue).toBe(true);
  });

  it('exports a channel with messages after its cover (less the lookback), or created after it; not a quiet one', async () => {
    const { coverage, plan } = stream('messages', windowState(), { ...clock, lookbackHours: 24 });
    expect(coverage.sweepDue).toBe(false);
    expect(
      await plan(
        channel('a:1'),
        channel('a:2', { last_message_at: at('2026-06-08T12:00:00Z') }),
        channel('a:3', { last_message_at: at('2026-06-07T12:00:00Z') }),
        channel('a:4', { created_at: at('2026-06-09T01:00:00Z'), last_message_at: undefined }),
      ),
    ).toEqual({ 'a:2': at('2026-06-08T00:00:00.000Z'), 'a:4': at('2026-06-08T00:00:00.000Z') });
  });

  it('never starts a window before start_date, even with the lookback', async () => {
    const { plan } = stream('messages', windowState(), { ...clock, lookbackHours: 48, startDate: at('2026-06-08T06:00:00.000Z') });
    expect(await plan(active('a:1'))).toEqual({ 'a:1': at('2026-06-08T06:00:00.000Z') });
  });

  it('reads lagging channels from their own instant, newcomers whole, channels of a stopped sync from its progress', async () => {
    const { plan } = stream(
      'messages',
      windowState({
        lagging: { 'a:2': OLD, 'a:3': null },
        selection: selectionOf({ exclude_channel_ids: ['a:4'] }),
        progress: { until: at('2026-06-09T12:00:00.000Z'), createdBefore: MIDWAY, sweep: false },
      }),
    );
    const later = { created_at: MIDWAY, last_message_at: NOW };
    expect(await plan(channel('a:2'), channel('a:3'), channel('a:4'), active('a:5'), channel('a:6', later))).toEqual({
      'a:2': OLD,
      'a:3': undefined,
      'a:4': undefined,
      'a:5': at('2026-06-09T12:00:00.000Z'),
      'a:6': COVER,
    });
  });

  it('on a sweep, exports every channel from the last sweep, but those a stopped sync swept', async () => {
    const { coverage, plan } = stream('messages', windowState({ swept: at('2026-06-01T00:00:00.000Z') }));
    expect(coverage.sweepDue).toBe(true);
    expect(await plan(channel('a:1'))).toEqual({ 'a:1': at('2026-06-01T00:00:00.000Z') });
    const swept = stream('messages', windowState({ swept: at('2026-06-01T00:00:00.000Z'), progress: { until: COVER, createdBefore: MIDWAY, sweep: true } }));
    expect(await swept.plan(channel('a:2'), channel('a:4', { created_at: MIDWAY }))).toEqual({ 'a:4': at('2026-06-01T00:00:00.000Z') });
  });

  it('channels and members: activity is a channel created or updated after the last sync; they need only the last millisecond of the window', async () => {
    const { coverage, plan } = stream('members', { updatedAt: OLD, cover: COVER, swept: SWEPT, lagging: {}, selection });
    expect(await plan(channel('a:1', { last_message_at: NOW }), channel('a:2', { updated_at: at('2026-06-09T10:00:00Z') }))).toEqual({
      'a:2': at('2026-06-09T23:59:59.999Z'),
    });
    expect(coverage.floor({ cid: 'a:2' })).toEqual(OLD);
  });
  it('exports a channel Stream listed with an instant that is not one (never drop data)', async () => {
    const { plan } = stream('messages', windowState());
    const garbled = { ...channel('a:2'), last_message_at: 'yesterday' };
    expect(await plan(channel('a:1'), garbled)).toEqual({ 'a:2': COVER });
  });
});

describe('planning', () => {
  it('lists by activity with one cheap query per condition (no $or), plus lagging channels; in full for a first sync or a sweep', () => {
    const messages = new Coverage('messages', windowState({ lagging: { 'a:9': OLD } }), clock);
    const channels = new Coverage('channels', { updatedAt: OLD, cover: COVER, swept: SWEPT, lagging: {}, selection }, clock);
    const listing = planListing([messages, channels], selection, clock, false);
    expect(listing.full).toBe(false);
    expect(listing.queries).toEqual([
      { filter: { types: [], where: { last_message_at: { $gt: String(COVER) } } } },
      { filter: { types: [], where: { updated_at: { $gt: String(COVER) } } } },
      { filter: { types: [], where: { created_at: { $gt: String(COVER) } } } },
      { filter: { cids: ['a:9'] }, direct: false, expected: 'lagging' },
    ]);
    expect(planListing([new Coverage('messages', undefined, clock)], selection, clock, false)).toMatchObject({
      full: true,
      queries: [{ filter: { types: [] } }],
    });
    const dueSweep = new Coverage('messages', windowState({ swept: OLD }), clock);
    expect(planListing([dueSweep], selection, clock, false)).toMatchObject({ full: true, why: 'full sweep due' });
  });

  it('lists the types and channels new to the selection', () => {
    const messages = new Coverage('messages', windowState({ selection: selectionOf({ channel_types: ['a'], exclude_channel_ids: ['a:7'] }) }), clock);
    const listing = planListing([messages], selectionOf({ channel_types: ['a', 'b'] }), clock, false);
    expect(listing.queries.slice(2)).toEqual([{ filter: { types: ['b'] } }, { filter: { cids: ['a:7'] }, direct: false, expected: 'configured' }]);
  });

  it('asks at most three types a query, as a cheap query names at most three values in one $in', () => {
    const types = ['a', 'b', 'c', 'd', 'e'];
    const full = planListing([new Coverage('messages', undefined, clock)], selectionOf({ channel_types: types }), clock, false);
    expect(full.queries).toEqual([{ filter: { types: ['a', 'b', 'c'] } }, { filter: { types: ['d', 'e'] } }]);
    const messages = new Coverage('messages', windowState({ selection: selectionOf({ channel_types: types }) }), clock);
    const active = planListing([messages], selectionOf({ channel_types: types }), clock, false);
    expect(active.queries.map((query) => query.filter.types)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('plans the needed channels as they are listed (in the listing order), each window at the earliest need of the message streams', async () => {
    const messages = new Coverage('messages', windowState({ lagging: { 'b:1': OLD } }), clock);
    const reactions = new Coverage('reactions', windowState(), clock);
    const plan = await planChannels(
      [channel('a:1'), channel('b:1', { message_count: 10 }), channel('c:1', { last_message_at: NOW, message_count: 4 })],
      [messages, reactions],
      clock,
    );
    expect(plan.channels).toEqual([
      { cid: 'b:1', created_at: OLD, since: OLD },
      { cid: 'c:1', created_at: OLD, since: COVER },
    ]);
    expect(plan.counts).toEqual({ listed: 3, newcomers: 0, lagging: 1, swept: 0, active: 1 });
    expect(plan.messageEstimate).toBe(14);
  });

  it('gives a channel only the channels stream needs the last millisecond of the window, not an empty one', async () => {
    const channels = new Coverage('channels', { updatedAt: OLD, cover: COVER, swept: SWEPT, lagging: {}, selection }, clock);
    const messages = new Coverage('messages', windowState(), clock);
    expect((await planChannels([channel('a:1', { updated_at: NOW })], [channels, messages], clock)).channels).toEqual([
      { cid: 'a:1', created_at: OLD, since: at('2026-06-09T23:59:59.999Z') },
    ]);
  });
});

describe('next state', () => {
  const refs = (...cids: string[]) => new Map(cids.map((cid) => [cid, { cid, created_at: OLD }]));
  const outcome = { finished: true, createdBefore: MIDWAY, failed: refs(), written: refs('a:1', 'a:3'), newest: at('2026-06-09T10:00:00Z') };

  it('at the end: the sync start is the cover, failed channels lag with what they had, the selection is recorded', () => {
    const coverage = new Coverage('messages', windowState({ lagging: { 'a:2': OLD } }), clock);
    const next = nextState(coverage, { ...outcome, failed: refs('a:2', 'a:5') }, clock, selection);
    expect(next).toEqual({ cover: NOW, swept: SWEPT, lagging: { 'a:2': OLD, 'a:5': COVER }, selection, updatedAt: at('2026-06-09T10:00:00Z') });
  });

  it('midway: the state it started from, plus how far it got and what failed', () => {
    const coverage = new Coverage('messages', windowState({ lagging: { 'a:1': OLD, 'a:9': OLD } }), clock);
    const next = nextState(coverage, { ...outcome, finished: false, failed: refs('a:2') }, clock, selection);
    expect(next).toEqual({
      cover: COVER,
      swept: SWEPT,
      lagging: { 'a:9': OLD, 'a:2': COVER },
      selection,
      progress: { until: NOW, createdBefore: MIDWAY, sweep: false },
    });
  });

  it('a sweep moves swept; a cover from the future never moves back; updated_at cursors stop at the sync start', () => {
    const swept = nextState(new Coverage('messages', windowState({ swept: OLD }), clock), outcome, clock, selection);
    expect(swept.swept).toEqual(NOW);
    const future = nextState(new Coverage('messages', windowState({ cover: at('2999-01-01T00:00:00Z') }), clock), outcome, clock, selection);
    expect(future.cover).toEqual(at('2999-01-01T00:00:00Z'));
    const rows = nextState(
      new Coverage('channels', { updatedAt: OLD, swept: SWEPT, lagging: {}, selection }, clock),
      { ...outcome, newest: at('2999-01-01T00:00:00Z') },
      clock,
      selection,
    );
    expect(rows).toMatchObject({ updatedAt: NOW, cover: NOW });
  });
});
