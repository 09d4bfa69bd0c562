import { earliest, hoursBefore, isAfter, latest } from '../utils/timestamps.js';
import type { ChannelSummary } from '../stream-api/channels.js';
import type { StreamName } from '../records/index.js';
import type { Selection } from './selection.js';
import { covers, selectionKey } from './selection.js';
import type { StateShape, StreamState } from './stream-state.js';
import { coveredOf, shapeOf } from './stream-state.js';

/** The instants every stream's plan is measured against. */
export interface PlanClock {
  /** The end of every export window (Stream's clock less the settle margin); a sync covers up to here. */
  windowEnd: string;
  startDate?: string | undefined;
  lookbackHours: number;
  /** A channel last swept at or before this is swept again (windowEnd − full_sweep_interval_hours). */
  sweepCutoff: string;
}

/**
 * What one stream's state says of each channel: how far it is covered, whether this sync must
 * export it, from where, and which records are new. Pure: the state and the clock decide all.
 * Without a state (first sync, full refresh) every channel is read whole.
 */
export class Coverage {
  readonly shape: StateShape;

  constructor(
    readonly stream: Exclude<StreamName, 'users'>,
    readonly state: StreamState | undefined,
    private readonly clock: PlanClock,
  ) {
    this.shape = shapeOf(stream);
  }

  /** Up to when the stream's own records are written, whatever the channel (coveredUntil says it per channel). */
  get covered(): string | undefined {
    return this.state === undefined ? undefined : coveredOf(this.state, this.shape);
  }

  /** Whether this sync is a full sweep for the stream: its last one is older than the interval. */
  get sweepDue(): boolean {
    return this.state === undefined || this.state.swept === undefined || !isAfter(this.state.swept, this.clock.sweepCutoff);
  }

  /** The instant up to which `cid` is written; undefined: nothing (read it whole). */
  coveredUntil(cid: string): string | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    if (cid in state.lagging) return state.lagging[cid] ?? undefined;
    const covered = this.covered;
    if (this.inProgress(cid)) return latest(covered, state.progress?.until);
    if (state.selection !== undefined && !covers(state.selection, cid)) return undefined;
    return covered;
  }

  /** Whether a sync that stopped midway wrote `cid`: up to its `through`, in the selection it ran with. */
  private inProgress(cid: string): boolean {
    const progress = this.state?.progress;
    if (progress === undefined || cid > progress.through) return false;
    const selection = progress.selection ?? this.state?.selection;
    return selection === undefined || covers(selection, cid);
  }

  isLagging(cid: string): boolean {
    return this.state !== undefined && cid in this.state.lagging;
  }

  /** The newcomers and lagging channels this stream names itself (they may have no activity). */
  laggingCids(): string[] {
    return Object.keys(this.state?.lagging ?? {});
  }

  /** Whether this sync must export `cid` for this stream, given what query channels says of it. */
  needs(channel: ChannelSummary): boolean {
    const from = this.exportFrom(channel.cid);
    if (from === undefined || this.isLagging(channel.cid) || this.needsSweep(channel.cid)) return true;
    if (this.shape === 'rows') {
      const since = this.activeSince(channel.cid) ?? from;
      return isAfter(channel.created_at, since) || isAfter(channel.updated_at, since);
    }
    if (isAfter(channel.created_at, from)) return true;
    return channel.last_message_at !== undefined && isAfter(channel.last_message_at, hoursBefore(from, this.clock.lookbackHours));
  }

  /** channels/members: after when a channel's own timestamps are activity (the last sync's start). */
  activeSince(cid: string): string | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    return this.inProgress(cid) ? latest(state.cover, state.progress?.until) : state.cover;
  }

  /** Where this stream's need of `cid` starts, before the lookback; undefined: the beginning. */
  exportFrom(cid: string): string | undefined {
    const covered = this.coveredUntil(cid);
    if (covered === undefined || !this.needsSweep(cid)) return covered;
    return earliest(covered, this.sweptUntil(cid));
  }

  /**
   * The records of `cid` this stream takes: messages created after it (lookback and start_date
   * applied), rows updated after it (the lookback applied on a sweep); undefined: all.
   */
  floor(cid: string): string | undefined {
    const from = this.exportFrom(cid);
    const { lookbackHours, startDate } = this.clock;
    if (this.shape === 'window') return from === undefined ? startDate : latest(startDate, hoursBefore(from, lookbackHours));
    return from !== undefined && this.needsSweep(cid) ? hoursBefore(from, lookbackHours) : from;
  }

  /** Whether this sync sweeps `cid` for this stream: its last sweep is older than the interval. */
  needsSweep(cid: string): boolean {
    const swept = this.sweptUntil(cid);
    return swept === undefined || !isAfter(swept, this.clock.sweepCutoff);
  }

  private sweptUntil(cid: string): string | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    if (cid in state.lagging) return earliest(state.lagging[cid] ?? undefined, state.swept);
    if (state.progress?.sweep && this.inProgress(cid)) return state.progress.until;
    return state.swept;
  }
}

/** The selection a set of coverages was written for: the one their states name (they are written together). */
export function coveredSelections(coverages: readonly Coverage[]): Selection[] {
  const seen = new Map<string, Selection>();
  for (const coverage of coverages) {
    const selection = coverage.state?.selection;
    if (selection !== undefined) seen.set(selectionKey(selection), selection);
  }
  return [...seen.values()];
}
