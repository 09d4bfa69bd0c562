import { ConfigError } from '../errors.js';
import type { StreamName } from '../streams/index.js';
import { earliest, hoursBefore, isAfter, isTimestamp, latest } from './timestamps.js';

export type SyncMode = 'full_refresh' | 'incremental';
type WindowStream = 'messages' | 'reactions';

const WINDOW_STREAMS: readonly WindowStream[] = ['messages', 'reactions'];
const PER_CHANNEL_STREAMS: readonly StreamName[] = ['channels', 'members'];

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
 * the state each stream reports.
 * - `messages`/`reactions` keep a cursor per channel that moves to the window's end once the
 *   channel's batch is written, and the newest `updated_at` written (for the record only: Airbyte's
 *   tests look for the cursor field in every stream's state).
 * - `channels`/`members`/`users` keep one `updated_at` that moves only when the whole sync
 *   succeeded, because their rows come from every batch in any order. `channels`/`members` also
 *   list the channels already synced (`cids`), so a channel that joins the selection later is read
 *   whole rather than filtered by a cursor it never had.
 */
export class SyncState {
  private readonly cursors = new Map<WindowStream, Record<string, string>>();
  private readonly inputUpdatedAt = new Map<StreamName, string>();
  private readonly seenUpdatedAt = new Map<StreamName, string>();
  /** Channels the previous syncs covered, per stream; absent: unknown (a state from before `cids`). */
  private readonly knownCids = new Map<StreamName, Set<string>>();
  private readonly syncedCids = new Set<string>();
  private readonly usersSeen = new Set<unknown>();

  constructor(private readonly options: SyncStateOptions) {
    for (const stream of WINDOW_STREAMS) {
      if (!options.selected.has(stream)) continue;
      const state = this.incrementalInput(stream);
      this.cursors.set(stream, state === undefined ? {} : readCursors(stream, state));
    }
    for (const stream of options.selected.keys()) {
      const state = this.incrementalInput(stream);
      if (state === undefined) continue;
      const cursor = readUpdatedAt(stream, state);
      if (cursor !== undefined) this.inputUpdatedAt.set(stream, cursor);
      if (PER_CHANNEL_STREAMS.includes(stream) && state.cids !== undefined) this.knownCids.set(stream, readCids(stream, state.cids));
    }
  }

  /**
   * Forget the synced channels that left the selection: if one comes back, its changes made
   * meanwhile are older than the cursor, so it must be read whole again.
   */
  retainChannels(planned: readonly string[]): void {
    const keep = new Set(planned);
    for (const known of this.knownCids.values()) for (const cid of known) if (!keep.has(cid)) known.delete(cid);
  }

    /** Whether any selected stream needs the messages of the export windows. */
  get needsMessages(): boolean {
    return this.cursors.size > 0;
  }

  /**
   * Where the export of `cid` starts: the earliest need of the selected message streams — a cursor
   * less the lookback, else start_date, else the beginning (undefined). Without message streams,
   * the window is empty (only the channel and its members come).
   */
  windowStart(cid: string): string | undefined {
    if (!this.needsMessages) return this.options.startedAt;
    const starts = [...this.cursors.keys()].map((stream) => this.messageFloor(stream, cid));
    return starts.includes(undefined) ? undefined : starts.reduce(earliest);
  }

  /**
   * Whether a record goes out: new for its stream's cursor, and each user once per sync. A user
   * embedded in a record that goes out goes out too, however old its profile: it may be the first
   * time the user shows up (a new member, a first message).
   */
  admit(stream: StreamName, data: Record<string, unknown>, embeddedInNew = false): boolean {
    if (stream === 'messages' && !this.isNewMessage(data)) return false;
    if (stream === 'channels' || stream === 'members' || (stream === 'users' && !embeddedInNew)) {
      if (!this.isNewChannel(stream, data.cid) && !isAfter(data.updated_at, this.inputUpdatedAt.get(stream))) return false;
    }
    if (stream === 'users') {
      if (this.usersSeen.has(data.id)) return false;
      this.usersSeen.add(data.id);
    }
    if (isTimestamp(data.updated_at)) {
      this.seenUpdatedAt.set(stream, latest(this.seenUpdatedAt.get(stream), data.updated_at) as string);
    }
    return true;
  }

  /** Every record of these channels has been written: window cursors move to the window's end. */
  completeChannels(cids: readonly string[]): void {
    for (const cid of cids) this.syncedCids.add(cid);
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
    const input = this.inputUpdatedAt.get(stream);
    const seen = this.seenUpdatedAt.get(stream);
    const cursor = final && seen !== undefined ? latest(input, earliest(seen, this.options.startedAt)) : input;
    const state: Record<string, unknown> = cursor === undefined ? {} : { updated_at: cursor };
    const cursors = this.cursors.get(stream as WindowStream);
    if (cursors) state.cursors = { ...cursors };
    if (PER_CHANNEL_STREAMS.includes(stream)) state.cids = [...new Set([...(this.knownCids.get(stream) ?? []), ...this.syncedCids])].sort();
    return state;
  }

  private incrementalInput(stream: StreamName): Record<string, unknown> | undefined {
    return this.options.selected.get(stream) === 'incremental' ? this.options.input.get(stream) : undefined;
  }

  private isNewChannel(stream: StreamName, cid: unknown): boolean {
    const known = this.knownCids.get(stream);
    return known !== undefined && !known.has(String(cid));
  }

  private messageFloor(stream: WindowStream, cid: string): string | undefined {
    const cursor = this.cursors.get(stream)?.[cid];
    return cursor === undefined ? this.options.startDate : hoursBefore(cursor, this.options.lookbackHours);
  }

  /** At or after the floor: whether Stream's window bounds are inclusive is unknown, so keep the edge (a duplicate at worst). */
  private isNewMessage(data: Record<string, unknown>): boolean {
    const floor = this.messageFloor('messages', String(data.cid));
    return floor === undefined || !isTimestamp(data.created_at) || !isAfter(floor, data.created_at);
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

function readCids(stream: string, value: unknown): Set<string> {
  if (!Array.isArray(value) || !value.every((cid) => typeof cid === 'string')) {
    throw new ConfigError(`The state of stream "${stream}" is invalid: "cids" must be an array of channel cids`);
  }
  return new Set(value);
}
