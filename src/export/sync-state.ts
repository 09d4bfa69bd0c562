import { ConfigError } from '../errors.js';
import type { StreamName } from '../streams/index.js';
import { earliest, hoursBefore, isAfter, isTimestamp, latest } from './timestamps.js';

export type SyncMode = 'full_refresh' | 'incremental';
type WindowStream = 'messages' | 'reactions';
type UpdatedAtStream = 'channels' | 'members' | 'users';

const WINDOW_STREAMS: readonly WindowStream[] = ['messages', 'reactions'];

export interface SyncStateOptions {
  selected: ReadonlyMap<StreamName, SyncMode>;
  /** stream → stream_state from the state file. */
  input: ReadonlyMap<string, Record<string, unknown>>;
  startDate: string | undefined;
  lookbackHours: number;
  /** The instant the sync planned; the end of every export window. */
  startedAt: string;
}

/**
 * The cursors of one sync: where each channel's export window starts, which records are new, and
 * the state each stream reports. `messages`/`reactions` keep a cursor per channel that moves to the
 * window's end once a batch is written; `channels`/`members`/`users` keep one `updated_at` that moves
 * only when the whole sync succeeded, because their rows come from every batch in any order.
 */
export class SyncState {
  private readonly cursors = new Map<WindowStream, Record<string, string>>();
  private readonly inputUpdatedAt = new Map<UpdatedAtStream, string>();
  private readonly seenUpdatedAt = new Map<UpdatedAtStream, string>();
  private readonly usersSeen = new Set<unknown>();

  constructor(private readonly options: SyncStateOptions) {
    for (const stream of WINDOW_STREAMS) {
      if (!options.selected.has(stream)) continue;
      const state = options.selected.get(stream) === 'incremental' ? options.input.get(stream) : undefined;
      this.cursors.set(stream, state === undefined ? {} : readCursors(stream, state));
    }
    for (const stream of ['channels', 'members', 'users'] as const) {
      const state = options.selected.get(stream) === 'incremental' ? options.input.get(stream) : undefined;
      const cursor = state === undefined ? undefined : readUpdatedAt(stream, state);
      if (cursor !== undefined) this.inputUpdatedAt.set(stream, cursor);
    }
  }

  /** Whether any selected stream needs the messages of the export windows. */
  get needsMessages(): boolean {
    return this.cursors.size > 0;
  }

  /** Where the export of `cid` starts, before the lookback: the earliest need of the selected message streams. */
  windowStart(cid: string): string | undefined {
    const streams = WINDOW_STREAMS.filter((stream) => this.cursors.has(stream));
    if (streams.length === 0) return this.options.startedAt;
    const starts = streams.map((stream) => this.cursors.get(stream)?.[cid] ?? this.options.startDate);
    if (starts.includes(undefined)) return undefined;
    return starts.reduce(earliest);
  }

  /** Whether a record goes out: new for its stream's cursor, and each user once per sync. */
  admit(stream: StreamName, data: Record<string, unknown>): boolean {
    if (stream === 'messages') return this.isNewMessage(data);
    if (stream === 'reactions') return true;
    if (!isAfter(data.updated_at, this.inputUpdatedAt.get(stream))) return false;
    if (stream === 'users') {
      if (this.usersSeen.has(data.id)) return false;
      this.usersSeen.add(data.id);
    }
    if (isTimestamp(data.updated_at)) {
      this.seenUpdatedAt.set(stream, latest(this.seenUpdatedAt.get(stream), data.updated_at) as string);
    }
    return true;
  }

  /** Every record of these channels' windows has been written: their cursors move to the window's end. */
  completeWindows(cids: readonly string[]): void {
    for (const cursors of this.cursors.values()) {
      for (const cid of cids) cursors[cid] = latest(cursors[cid], this.options.startedAt) as string;
    }
  }

  /**
   * The stream_state to report. Before the end of the sync, `updated_at` cursors stay where the
   * sync started; at the end they move to the newest row seen, but never past the sync's start
   * (a row changed during the sync may not have been exported yet) and never backwards.
   */
  stateOf(stream: StreamName, final: boolean): Record<string, unknown> {
    if (stream === 'messages' || stream === 'reactions') return { cursors: { ...this.cursors.get(stream) } };
    const input = this.inputUpdatedAt.get(stream);
    const seen = this.seenUpdatedAt.get(stream);
    const cursor = final && seen !== undefined ? latest(input, earliest(seen, this.options.startedAt)) : input;
    return cursor === undefined ? {} : { updated_at: cursor };
  }

  private isNewMessage(data: Record<string, unknown>): boolean {
    const mode = this.options.selected.get('messages');
    const cursor = mode === 'incremental' ? this.cursors.get('messages')?.[String(data.cid)] : undefined;
    const floor = cursor ?? this.options.startDate;
    return floor === undefined || isAfter(data.created_at, hoursBefore(floor, this.options.lookbackHours));
  }
}

function readCursors(stream: string, state: Record<string, unknown>): Record<string, string> {
  const cursors = state.cursors ?? {};
  if (typeof cursors !== 'object' || cursors === null || Array.isArray(cursors)) {
    throw new ConfigError(`The state of stream "${stream}" is invalid: "cursors" must be an object of channel cid → RFC3339 timestamp`);
  }
  for (const [cid, value] of Object.entries(cursors)) {
    if (!isTimestamp(value)) {
      throw new ConfigError(`The state of stream "${stream}" is invalid: the cursor of channel "${cid}" is ${JSON.stringify(value)}, not an RFC3339 timestamp`);
    }
  }
  return { ...(cursors as Record<string, string>) };
}

function readUpdatedAt(stream: string, state: Record<string, unknown>): string | undefined {
  const value = state.updated_at;
  if (value === undefined || value === null) return undefined;
  if (!isTimestamp(value)) {
    throw new ConfigError(`The state of stream "${stream}" is invalid: "updated_at" is ${JSON.stringify(value)}, not an RFC3339 timestamp`);
  }
  return value;
}
