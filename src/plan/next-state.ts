import { earliest, latest } from '../utils/timestamps.js';
import type { Coverage, PlanClock } from './coverage.js';
import { selectionKey, type Selection } from './selection.js';
import type { CompactState } from './stored-state.js';

/** How far a sync got with its planned channels, at one checkpoint. */
export interface SyncOutcome {
  /** Every planned export is settled (written or failed): the sync's own instants take over. */
  finished: boolean;
  /** Every planned channel up to this cid (in cid order) is settled. */
  through: string | undefined;
  /** Planned channels whose export failed. */
  failed: ReadonlySet<string>;
  /** Planned channels written. */
  written: ReadonlySet<string>;
  /** The newest updated_at among the stream's records written. */
  newest: string | undefined;
}

/**
 * The state one stream reports. Midway, it is the state the sync started from plus its progress
 * (channels up to `through` covered to the sync's start) and its failures; at the end, the sync's
 * start is the new cover and the failed channels lag behind with what they had. Window covers
 * never move back (a cursor from the future stays); updated_at cursors move to the newest row
 * written but not past the sync's start (a row changed meanwhile may not be in the exports).
 */
export function nextState(coverage: Coverage, outcome: SyncOutcome, clock: PlanClock, selection: Selection): CompactState {
  const input = coverage.state;
  const lagging: Record<string, string | null> = {};
  if (!outcome.finished) {
    for (const [cid, at] of Object.entries(input?.lagging ?? {})) {
      const settled = outcome.written.has(cid) && outcome.through !== undefined && cid <= outcome.through;
      if (!settled) lagging[cid] = at;
    }
  }
  for (const cid of outcome.failed) lagging[cid] = coverage.exportFrom(cid) ?? null;

  const state: CompactState = { lagging };
  if (!outcome.finished) {
    if (input?.covered !== undefined) state.covered = input.covered;
    if (input?.activeSince !== undefined) state.activeSince = input.activeSince;
    if (input?.swept !== undefined) state.swept = input.swept;
    state.selection = input?.selection ?? selection;
    const ranWith = selectionKey(state.selection) === selectionKey(selection) ? {} : { selection };
    const progress =
      outcome.through === undefined ? input?.progress : { until: clock.startedAt, through: outcome.through, sweep: coverage.sweepDue, ...ranWith };
    if (progress !== undefined) state.progress = progress;
    if (input?.newest !== undefined) state.newest = input.newest;
  } else {
    const covered =
      coverage.shape === 'window'
        ? latest(input?.covered, clock.startedAt)
        : latest(input?.covered, outcome.newest === undefined ? undefined : earliest(outcome.newest, clock.startedAt));
    if (covered !== undefined) state.covered = covered;
    if (coverage.shape === 'rows') state.activeSince = latest(input?.activeSince, clock.startedAt);
    const swept = coverage.sweepDue ? clock.startedAt : input?.swept;
    if (swept !== undefined) state.swept = swept;
    state.selection = selection;
    const newest = latest(input?.newest, outcome.newest === undefined ? undefined : earliest(outcome.newest, clock.startedAt));
    if (coverage.shape === 'window' && newest !== undefined) state.newest = newest;
  }
  return state;
}
