import type { Coverage, ListedChannel } from '../plan/coverage.js';
import type { StreamName } from '../records/index.js';
import { Instant } from '../utils/instant.js';

/**
 * Which records are new for their stream: messages created after their channel's floor, channels
 * and members updated after theirs. Reactions come with the messages of the window; users come from
 * query users (or from the records that embed them, EmbeddedUsers decides), each written once. A
 * stream without a coverage (not selected) takes everything.
 */
export class Admission {
  /** Per stream, the newest updated_at admitted. */
  private readonly newest = new Map<StreamName, Instant>();
  /**
   * The floor of the channel asked about last, per stream: a file holds a channel's lines together, so the
   * same floor is asked for record after record (one entry per stream: memory does not grow with channels).
   */
  private readonly lastFloor = new Map<StreamName, { cid: string; floor: Instant | undefined }>();

  constructor(
    private readonly coverages: ReadonlyMap<StreamName, Coverage>,
    private readonly channelOf: (cid: string) => ListedChannel,
  ) {}

  admit(stream: StreamName, data: Record<string, unknown>): boolean {
    const updated = instantOf(data.updated_at);
    if (!this.isNew(stream, data, updated)) return false;
    if (updated !== undefined) this.newest.set(stream, Instant.later(this.newest.get(stream), updated));
    return true;
  }

  /** The newest updated_at written for the stream. */
  newestOf(stream: StreamName): Instant | undefined {
    return this.newest.get(stream);
  }

  private isNew(stream: StreamName, data: Record<string, unknown>, updated: Instant | undefined): boolean {
    const coverage = this.coverages.get(stream);
    if (coverage === undefined || stream === 'reactions' || stream === 'users') return true;
    const floor = this.floor(stream, coverage, String(data.cid));
    if (floor === undefined) return true;
    // A timestamp that is not one counts as new: never drop data.
    if (stream !== 'messages') return updated === undefined || updated.isAfter(floor);
    // At or after the floor: whether Stream's window bounds are inclusive is unknown, so keep the edge (a duplicate at worst).
    const created = instantOf(data.created_at);
    return created === undefined || !created.isBefore(floor);
  }

  private floor(stream: StreamName, coverage: Coverage, cid: string): Instant | undefined {
    const last = this.lastFloor.get(stream);
    if (last?.cid === cid) return last.floor;
    const floor = coverage.floor(this.channelOf(cid));
    this.lastFloor.set(stream, { cid, floor });
    return floor;
  }
}

function instantOf(value: unknown): Instant | undefined {
  return typeof value === 'string' ? Instant.parse(value) : undefined;
}
