// Planning by activity (DESIGN.md): an incremental sync costs what changed, not what exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import {
  catalogOf,
  type Config,
  configFor,
  describeRun,
  expectCompleteRead,
  exportedCids,
  groundTruthKeys,
  keyOf,
  messageKeys,
  once,
  read,
  type Read,
  STREAMS,
  type StateMessage,
  union,
  pastTheSecond,
} from './harness.js';

/** What a read cost the emulator: export requests and API calls of every kind. */
async function measured(emulator: Emulator, run: () => Promise<Read>): Promise<{ result: Read; exports: number; calls: number }> {
  const before = emulator.stats();
  const result = await run();
  const after = emulator.stats();
  return { result, exports: after.exportsCreated - before.exportsCreated, calls: after.requests - before.requests };
}

function stateBytes(states: readonly StateMessage[]): number {
  return states.reduce((sum, state) => sum + JSON.stringify(state.stream.stream_state).length, 0);
}

function planLog(result: Read): string {
  const line = result.byType('LOG').find((message) => String(message.log.message).startsWith('Planned'));
  return String(line?.log.message);
}

describe('planning by activity: an app of 2,100 channels of which 5 change', () => {
  let emulator: Emulator;
  let config: Config;
  /** The state of the first sync, which read every channel. */
  let firstState: StateMessage[];

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator({ seed: 21, channels: 2100, messagesPerChannel: 2, usersCount: 40, taskLatencyMs: 20 });
    config = configFor(emulator);
    const first = await read({ config, catalog: catalogOf() });
    expectCompleteRead(first, STREAMS);
    expect(first.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
    firstState = first.nextState();
  }, 180_000);
  afterAll(() => emulator.close());

  /** After five channels change: a sync, then one with nothing new (run once, when a test first needs it). */
  const changedThenQuiet = once(async () => {
    const cids = exportedCids(emulator);
    const [a, b, c, renamed] = [cids[10], cids[500], cids[1800], cids[1234]] as [string, string, string, string];
    const added = [...emulator.data.addMessages(a, 3), ...emulator.data.addMessages(b, 2), ...emulator.data.addMessages(c, 2)];
    emulator.data.updateChannel(renamed, { name: 'Renamed' });
    const created = emulator.data.addChannel({ id: 'brand-new' });
    added.push(...emulator.data.addMessages(String(created.cid), 2));
    await pastTheSecond(emulator);
    const second = await measured(emulator, () => read({ config, catalog: catalogOf(), state: firstState }));
    const third = await measured(emulator, () => read({ config, catalog: catalogOf(), state: second.result.nextState() }));
    return { second, third, added, renamed, created };
  });

  it('exports only the changed channels, writes exactly what changed, and a sync with nothing new exports nothing', async () => {
    const { second, third, added, renamed, created } = await changedThenQuiet();
    expectCompleteRead(second.result, STREAMS);
    expect(second.exports, planLog(second.result)).toBeLessThanOrEqual(1);
    expect(second.calls).toBeLessThanOrEqual(60);
    expect(second.result.keys('messages')).toEqual(messageKeys(added.map((message) => message.id)));
    expect(second.result.keys('channels')).toEqual([keyOf('channels', { cid: renamed }), keyOf('channels', { cid: created.cid })].sort());
    expect(second.result.keys('members')).toEqual(groundTruthKeys(emulator, 'members', { cids: [String(created.cid)] }));
    expect(planLog(second.result)).toMatch(/listed by activity/);
    expect(stateBytes(second.result.nextState())).toBeLessThan(16 * 1024);

    expectCompleteRead(third.result, STREAMS);
    expect(third.exports).toBe(0);
    expect(third.result.byType('RECORD')).toEqual([]);
  });

  it('a failed export in a later sync leaves its channels lagging; the next sync exports them, and nothing is lost', async () => {
    const state = (await changedThenQuiet()).third.result.nextState();
    const cids = exportedCids(emulator);
    const added = [...emulator.data.addMessages(cids[7] as string, 2), ...emulator.data.addMessages(cids[1500] as string, 1)];
    emulator.faults.failTasks({ count: 1 });
    await pastTheSecond(emulator);
    const failed = await read({ config, catalog: catalogOf(), state });
    expect(failed.exitCode, describeRun(failed)).not.toBe(0);
    const lagging = failed.states('messages').at(-1)!.stream.stream_state.lagging as Record<string, string>;
    expect(Object.keys(lagging).sort()).toEqual([cids[7], cids[1500]].sort());

    const resumed = await measured(emulator, () => read({ config, catalog: catalogOf(), state: failed.nextState() }));
    expectCompleteRead(resumed.result, STREAMS);
    expect(resumed.exports).toBe(1);
    expect(union(failed.keys('messages'), resumed.result.keys('messages'))).toEqual(messageKeys(added.map((message) => message.id)));
    expect(resumed.result.states('messages').at(-1)!.stream.stream_state.lagging).toEqual({});
    expect(stateBytes(resumed.result.nextState())).toBeLessThan(16 * 1024);
  });
});

describe('planning by activity: sweeps, selection changes, batch sizes', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator({
      seed: 5,
      channels: 60,
      messagesPerChannel: 5,
      taskLatencyMs: 20,
      repliesMoveLastMessageAt: false,
      maxChannelsPerExport: 25,
    });
  }, 120_000);
  afterAll(() => emulator.close());

  it('splits a batch Stream refuses as too large, keeps the size that works, says so once, and loses nothing', async () => {
    const before = emulator.stats();
    const result = await read({ config: configFor(emulator), catalog: catalogOf(['messages']) });
    expectCompleteRead(result, ['messages']);
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
    expect(emulator.stats().exportsCreated - before.exportsCreated).toBe(3);
    const warnings = result.byType('LOG').filter((message) => /refused \d+ channels in one export/.test(String(message.log.message)));
    expect(warnings).toHaveLength(1);
  });

  it('a thread reply that does not move last_message_at is missed by activity and brought by the full sweep', async () => {
    const catalog = catalogOf(['messages']);
    const first = await read({ config: configFor(emulator), catalog });
    expectCompleteRead(first, ['messages']);
    const cid = exportedCids(emulator)[3] as string;
    const parent = [...emulator.data.messages({ cids: [cid] })][0]!;
    const [reply] = emulator.data.addMessages(cid, 1, { parentId: String(parent.id) });

    await pastTheSecond(emulator);
    const activityOnly = await read({ config: configFor(emulator), catalog, state: first.nextState() });
    expectCompleteRead(activityOnly, ['messages']);
    expect(activityOnly.keys('messages')).toEqual([]);

    const swept = await read({ config: configFor(emulator, { full_sweep_interval_hours: 0 }), catalog, state: activityOnly.nextState() });
    expectCompleteRead(swept, ['messages']);
    expect(swept.keys('messages')).toContain(keyOf('messages', reply!));
    expect(planLog(swept)).toMatch(/full sweep: yes/);
  });

  it('a channel type added to the selection is read whole; the channels it had are not exported again', async () => {
    const catalog = catalogOf(['channels', 'messages']);
    const first = await read({ config: configFor(emulator, { channel_types: ['messaging'] }), catalog });
    expectCompleteRead(first, ['channels', 'messages']);
    const team = exportedCids(emulator).filter((cid) => cid.startsWith('team:'));
    const before = emulator.stats();
    const second = await read({ config: configFor(emulator, { channel_types: ['messaging', 'team'] }), catalog, state: first.nextState() });
    expectCompleteRead(second, ['channels', 'messages']);
    expect(second.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: team }));
    expect(second.keys('channels')).toEqual(team.map((cid) => keyOf('channels', { cid })).sort());
    expect(emulator.stats().exportsCreated - before.exportsCreated).toBe(Math.ceil(team.length / 25));
  });

  it('a channel no longer excluded is read whole', async () => {
    const catalog = catalogOf(['messages']);
    const [excluded] = exportedCids(emulator);
    const first = await read({ config: configFor(emulator, { exclude_channel_ids: [excluded] }), catalog });
    expectCompleteRead(first, ['messages']);
    const second = await read({ config: configFor(emulator), catalog, state: first.nextState() });
    expectCompleteRead(second, ['messages']);
    expect(second.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: [excluded as string] }));
  });

  it('a state of version 0.1.0 is migrated: its cursors honoured, a lagging cursor caught up, no channel read whole again', async () => {
    const catalog = catalogOf(['channels', 'messages']);
    const first = await read({ config: configFor(emulator), catalog });
    expectCompleteRead(first, ['channels', 'messages']);
    const cover = String(first.states('messages').at(-1)!.stream.stream_state.cover);
    const cids = exportedCids(emulator);
    const behind = cids[8] as string;
    const older = [...emulator.data.messages({ cids: [behind] })].at(-2)!;
    // What 0.1.0 printed: a cursor per channel (one left behind by a failed batch), the synced cids.
    const legacy: StateMessage[] = [
      { type: 'STREAM', stream: { stream_descriptor: { name: 'channels' }, stream_state: { updated_at: cover, cids } } },
      {
        type: 'STREAM',
        stream: {
          stream_descriptor: { name: 'messages' },
          stream_state: { updated_at: cover, cursors: Object.fromEntries(cids.map((cid) => [cid, cid === behind ? String(older.created_at) : cover])) },
        },
      },
    ];
    const fresh = emulator.data.addMessages(cids[20] as string, 2);
    await pastTheSecond(emulator);
    const migrated = await read({ config: configFor(emulator), catalog, state: legacy });
    expectCompleteRead(migrated, ['channels', 'messages']);
    const caughtUp = [...emulator.data.messages({ cids: [behind], since: String(older.created_at) })].map((message) => message.id);
    expect(migrated.keys('messages')).toEqual(messageKeys([...caughtUp, ...fresh.map((message) => message.id)]));
    expect(migrated.keys('channels')).toEqual([]);
    expect(migrated.states('messages').at(-1)!.stream.stream_state).toMatchObject({
      lagging: {},
      selection: { channel_types: [], channel_ids: [], exclude_channel_ids: [] },
    });
  });
});
