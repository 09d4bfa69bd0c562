import { instantKey } from '../utils/timestamps.js';
import type { Coverage, ListedChannel } from '../plan/coverage.js';
import type { StreamName } from '../records/index.js';

/**
 * Which records are new for their stream: messages created after their channel's floor, channels
 * and members updated after theirs. Reactions come with the messages of the window; users come from
 * query users (or from the records that embed them, EmbeddedUsers decides), each written once. A
 * stream without a coverage (not selected) takes everything.
 */
export class Admission {
  /** Per stream, the newest updated_at admitted and its instant key (computed once, not at every record). */
  private readonly newest = new Map<StreamName, { at: string; key: string }>();
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
    if (!this.isNew(stream, data)) return false;
    const at = data.updated_at;
    const key = typeof at === 'string' ? instantKey(at) : undefined;
    if (typeof at === 'string' && key !== undefined && key > (this.newest.get(stream)?.key ?? '')) this.newest.set(stream, { at, key });
    return true;
  }

  /** The newest updated_at written for the stream. */
  newestOf(stream: StreamName): string | undefined {
    return this.newest.get(stream)?.at;
  }

  private isNew(stream: StreamName, data: Record<string, unknown>): boolean {
    const coverage = this.coverages.get(stream);
    if (coverage === undefined || stream === 'reactions' || stream === 'users') return true;
    const floor = this.floor(stream, coverage, String(data.cid));
    if (stream !== 'messages') return isAfterInstant(data.updated_at, floor);
    if (floor === undefined) return true;
    // At or after the floor: whether Stream's window bounds are inclusive is unknown, so keep the edge (a duplicate at worst).
    // A created_at that is not a timestamp goes out, as does any message when the floor is not one.
    const created = typeof data.created_at === 'string' ? instantKey(data.created_at) : undefined;
    return created === undefined || (floor.key !== undefined && floor.key <= created);
  }

  private floor(stream: StreamName, coverage: Coverage, cid: string): Instant | undefined {
    const last = this.lastFloor.get(stream);
    if (last?.cid === cid) return last.floor;
    const floor = instant(coverage.floor(this.channelOf(cid)));
    this.lastFloor.set(stream, { cid, floor });
    return floor;
  }
}

/** An instant's text and its instantKey (undefined: not a timestamp), computed once. */
interface Instant {
  at: string;
  key: string | undefined;
}

function instant(at: string | undefined): Instant | undefined {
  return at === undefined ? undefined : { at, key: instantKey(at) };
}

/** isAfter of timestamps.ts, the cursor's key known already. */
function isAfterInstant(value: unknown, cursor: Instant | undefined): boolean {
  if (cursor === undefined || typeof value !== 'string') return true;
  const key = instantKey(value);
  return key === undefined || cursor.key === undefined || key > cursor.key;
}
