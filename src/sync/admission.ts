import { earliest, hoursBefore, instantKey, isAfter, isTimestamp } from '../export/timestamps.js';
import type { Coverage } from '../plan/coverage.js';
import type { StreamName } from '../streams/index.js';

export interface AdmitOptions {
  /** The record is embedded in one that goes out (a user of a new message or member): it goes out too. */
  embeddedInNew?: boolean;
  /** The export reads a channel whole or catches one up: its user lines all go out. */
  catchUp?: boolean;
}

/**
 * Which records are new for their stream: messages created after their channel's floor, channels
 * and members updated after theirs, users updated after the users cursor or embedded in a new
 * record (once per sync each). Reactions come with the messages of the window. A stream without
 * a coverage (not selected) takes everything, so the users embedded in its records are judged.
 */
export class Admission {
  /** Per stream, the newest updated_at admitted and its instant key (computed once, not at every record). */
  private readonly newest = new Map<StreamName, { at: string; key: string }>();
  private readonly usersSeen = new Set<unknown>();

  constructor(
    private readonly coverages: ReadonlyMap<StreamName, Coverage>,
    private readonly lookbackHours: number,
  ) {}

  admit(stream: StreamName, data: Record<string, unknown>, options: AdmitOptions = {}): boolean {
    if (!this.isNew(stream, data, options)) return false;
    if (stream === 'users') {
      if (this.usersSeen.has(data.id)) return false;
      this.usersSeen.add(data.id);
    }
    const at = data.updated_at;
    const key = typeof at === 'string' ? instantKey(at) : undefined;
    if (typeof at === 'string' && key !== undefined && key > (this.newest.get(stream)?.key ?? '')) this.newest.set(stream, { at, key });
    return true;
  }

  /** The newest updated_at written for the stream. */
  newestOf(stream: StreamName): string | undefined {
    return this.newest.get(stream)?.at;
  }

  private isNew(stream: StreamName, data: Record<string, unknown>, options: AdmitOptions): boolean {
    const coverage = this.coverages.get(stream);
    if (coverage === undefined || stream === 'reactions') return true;
    if (stream === 'users') return options.embeddedInNew === true || options.catchUp === true || isAfter(data.updated_at, this.usersFloor(coverage));
    const floor = coverage.floor(String(data.cid));
    // At or after the floor: whether Stream's window bounds are inclusive is unknown, so keep the edge (a duplicate at worst).
    if (stream === 'messages') return floor === undefined || !isTimestamp(data.created_at) || !isAfter(floor, data.created_at);
    return isAfter(data.updated_at, floor);
  }

  private usersFloor(coverage: Coverage): string | undefined {
    const state = coverage.state;
    if (state?.covered === undefined) return undefined;
    return coverage.sweepDue ? hoursBefore(earliest(state.covered, state.swept) ?? state.covered, this.lookbackHours) : state.covered;
  }
}
