import { Instant } from '../utils/instant.js';
import { createdBefore, type Coverage, type ListedChannel, type PlanClock } from './coverage.js';
import { selectionKey, type Selection } from './selection.js';
import type { StreamState } from './stream-state.js';

/** How far a sync got with its planned channels, at one checkpoint. */
export interface SyncOutcome {
  /** Every planned export is settled (written or failed): the sync's own instants take over. */
  finished: boolean;
  /** Every planned channel created before this instant is settled (they are planned in created_at order). */
  createdBefore: Instant | undefined;
  /** Planned channels whose export failed. */
  failed: ReadonlyMap<string, ListedChannel>;
  /** Planned channels written (those a state had lagging). */
  written: ReadonlyMap<string, ListedChannel>;
  /** The newest updated_at among the stream's records written. */
  newest: Instant | undefined;
}

/**
 * The state one stream reports. Midway, it is the state the sync started from plus its progress
 * (channels created before `createdBefore` covered to the window end) and its failures; at the end, the window end
 * is the new cover and the failed channels lag behind with what they had. Covers never move back (a
 * cursor from the future stays); updated_at moves to the newest record written but not past the
 * window end (a row changed meanwhile may not be in the exports).
 */
export function nextState(coverage: Coverage, outcome: SyncOutcome, clock: PlanClock, selection: Selection): StreamState {
  const lagging = laggingAfter(coverage, outcome);
  return outcome.finished ? finishedState(coverage, outcome, clock, selection, lagging) : midwayState(coverage, outcome, clock, selection, lagging);
}

/** The channels behind the cover: the failed ones with what they had, and (midway) the lagging ones not yet settled. */
function laggingAfter(coverage: Coverage, outcome: SyncOutcome): Record<string, Instant | null> {
  const lagging: Record<string, Instant | null> = {};
  if (!outcome.finished) {
    for (const [cid, at] of Object.entries(coverage.state?.lagging ?? {})) {
      const written = outcome.written.get(cid);
      const settled = written !== undefined && outcome.createdBefore !== undefined && createdBefore(written, outcome.createdBefore);
      if (!settled) lagging[cid] = at;
    }
  }
  for (const [cid, channel] of outcome.failed) lagging[cid] = coverage.exportFrom(channel) ?? null;
  return lagging;
}

function midwayState(coverage: Coverage, outcome: SyncOutcome, clock: PlanClock, selection: Selection, lagging: StreamState['lagging']): StreamState {
  const input = coverage.state;
  const state: StreamState = { ...input, lagging, selection: input?.selection ?? selection };
  const ranWith = selectionKey(state.selection ?? selection) === selectionKey(selection) ? {} : { selection };
  if (outcome.createdBefore !== undefined)
    state.progress = { until: clock.windowEnd, createdBefore: outcome.createdBefore, sweep: coverage.sweepDue, ...ranWith };
  return state;
}

function finishedState(coverage: Coverage, outcome: SyncOutcome, clock: PlanClock, selection: Selection, lagging: StreamState['lagging']): StreamState {
  const input = coverage.state;
  const state: StreamState = { cover: Instant.later(input?.cover, clock.windowEnd), lagging, selection };
  const updatedAt = Instant.later(input?.updatedAt, outcome.newest === undefined ? undefined : Instant.earlier(outcome.newest, clock.windowEnd));
  if (updatedAt !== undefined) state.updatedAt = updatedAt;
  const swept = coverage.sweepDue ? clock.windowEnd : input?.swept;
  if (swept !== undefined) state.swept = swept;
  return state;
}
