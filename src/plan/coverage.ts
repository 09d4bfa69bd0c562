import { Instant } from '../utils/instant.js';
import type { ChannelSummary } from '../stream-api/channels.js';
import type { StreamName } from '../records/index.js';
import type { Selection } from './selection.js';
import { covers, selectionKey } from './selection.js';
import type { StateShape, StreamState } from './stream-state.js';
import { coveredOf, shapeOf } from './stream-state.js';

/** A channel as the plan knows it: its cid, and its created_at where it was listed (not for one only named). */
export interface ListedChannel {
  cid: string;
  created_at?: Instant;
}

/** A listed channel's activity, its instants parsed once where the listing gives it (one Stream left out or garbled is absent). */
export interface ChannelActivity extends ListedChannel {
  updated_at?: Instant;
  last_message_at?: Instant;
  message_count?: number;
  /** Stream gave one of its instants in a text that is not one: the channel is exported (never drop data). */
  garbled?: true;
}

export function activityOf(channel: ChannelSummary): ChannelActivity {
  const activity: ChannelActivity = { cid: channel.cid };
  const texts = [channel.created_at, channel.updated_at, channel.last_message_at];
  const parsed = texts.map((at) => (at === undefined ? undefined : Instant.parse(at)));
  if (texts.some((at, index) => at !== undefined && parsed[index] === undefined)) activity.garbled = true;
  const [created, updated, lastMessage] = parsed;
  if (created !== undefined) activity.created_at = created;
  if (updated !== undefined) activity.updated_at = updated;
  if (lastMessage !== undefined) activity.last_message_at = lastMessage;
  if (channel.message_count !== undefined) activity.message_count = channel.message_count;
  return activity;
}

/** The instants every stream's plan is measured against. */
export interface PlanClock {
  /** The end of every export window (Stream's clock less the settle margin); a sync covers up to here. */
  windowEnd: Instant;
  startDate?: Instant | undefined;
  lookbackHours: number;
  /** A channel last swept at or before this is swept again (windowEnd − full_sweep_interval_hours). */
  sweepCutoff: Instant;
  /**
   * A sweep exports each channel's whole history (from startDate), not what came since the last sweep:
   * local mode, whose sweeps so prove every hard deletion of a message.
   */
  sweepsWholeHistory?: boolean;
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
  get covered(): Instant | undefined {
    return this.state === undefined ? undefined : coveredOf(this.state, this.shape);
  }

  /** Whether this sync is a full sweep for the stream: its last one is older than the interval. */
  get sweepDue(): boolean {
    return this.state === undefined || this.state.swept === undefined || !this.state.swept.isAfter(this.clock.sweepCutoff);
  }

  /** The instant up to which the channel is written; undefined: nothing (read it whole). */
  coveredUntil(channel: ListedChannel): Instant | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    const { cid } = channel;
    if (cid in state.lagging) return state.lagging[cid] ?? undefined;
    const covered = this.covered;
    if (this.inProgress(channel)) return Instant.later(covered, state.progress?.until);
    if (state.selection !== undefined && !covers(state.selection, cid)) return undefined;
    return covered;
  }

  /**
   * Whether a sync that stopped midway wrote the channel: one created before its `createdBefore` (the
   * listing goes in created_at order), in the selection it ran with.
   */
  private inProgress(channel: ListedChannel): boolean {
    const progress = this.state?.progress;
    if (progress === undefined || !createdBefore(channel, progress.createdBefore)) return false;
    const selection = progress.selection ?? this.state?.selection;
    return selection === undefined || covers(selection, channel.cid);
  }

  isLagging(cid: string): boolean {
    return this.state !== undefined && cid in this.state.lagging;
  }

  /** The newcomers and lagging channels this stream names itself (they may have no activity). */
  laggingCids(): string[] {
    return Object.keys(this.state?.lagging ?? {});
  }

  /** Whether this sync must export the channel for this stream, given what query channels says of it. */
  needs(channel: ChannelActivity): boolean {
    const from = this.exportFrom(channel);
    if (from === undefined || channel.garbled === true || this.isLagging(channel.cid) || this.needsSweep(channel)) return true;
    if (this.shape === 'rows') {
      const since = this.activeSince(channel) ?? from;
      return afterOrUnknown(channel.created_at, since) || afterOrUnknown(channel.updated_at, since);
    }
    if (afterOrUnknown(channel.created_at, from)) return true;
    return channel.last_message_at !== undefined && channel.last_message_at.isAfter(from.minusHours(this.clock.lookbackHours));
  }

  /** channels/members: after when a channel's own timestamps are activity (the last sync's start). */
  activeSince(channel: ListedChannel): Instant | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    return this.inProgress(channel) ? Instant.later(state.cover, state.progress?.until) : state.cover;
  }

  /** Where this stream's need of the channel starts, before the lookback; undefined: the beginning. */
  exportFrom(channel: ListedChannel): Instant | undefined {
    const covered = this.coveredUntil(channel);
    if (covered === undefined || !this.needsSweep(channel)) return covered;
    return Instant.earlier(covered, this.sweptUntil(channel));
  }

  /**
   * The records of `cid` this stream takes: messages created after it (lookback and start_date
   * applied), rows updated after it (the lookback applied on a sweep); undefined: all.
   */
  floor(channel: ListedChannel): Instant | undefined {
    const from = this.clock.sweepsWholeHistory === true && this.needsSweep(channel) ? undefined : this.exportFrom(channel);
    const { lookbackHours, startDate } = this.clock;
    if (this.shape === 'window') return from === undefined ? startDate : Instant.later(startDate, from.minusHours(lookbackHours));
    return from !== undefined && this.needsSweep(channel) ? from.minusHours(lookbackHours) : from;
  }

  /** Whether this sync sweeps the channel for this stream: its last sweep is older than the interval. */
  needsSweep(channel: ListedChannel): boolean {
    const swept = this.sweptUntil(channel);
    return swept === undefined || !swept.isAfter(this.clock.sweepCutoff);
  }

  private sweptUntil(channel: ListedChannel): Instant | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    const { cid } = channel;
    if (cid in state.lagging) return Instant.earlier(state.lagging[cid] ?? undefined, state.swept);
    if (state.progress?.sweep && this.inProgress(channel)) return state.progress.until;
    return state.swept;
  }
}

/** Whether the channel was listed with a created_at before the instant (one without is not). */
export function createdBefore(channel: ListedChannel, instant: Instant): boolean {
  return channel.created_at !== undefined && channel.created_at.isBefore(instant);
}

/** Whether a channel's instant is after the cursor; one Stream did not give counts as after (never drop data). */
function afterOrUnknown(value: Instant | undefined, cursor: Instant): boolean {
  return value === undefined || value.isAfter(cursor);
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
