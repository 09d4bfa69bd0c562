import type { ListedChannel } from '../plan/coverage.js';
import type { SyncOutcome } from '../plan/next-state.js';
import type { Instant } from '../utils/instant.js';

interface Batch {
  channels: readonly ListedChannel[];
  open: Set<string>;
}

/**
 * The planned channels still in flight, batch by batch in created_at order, and which are settled
 * (written or failed), so a checkpoint can say "every channel created before this instant" in one
 * field however many there are. A batch is forgotten once it and every batch before it are settled:
 * memory holds what is in flight.
 */
export class SettledChannels {
  readonly failed = new Map<string, ListedChannel>();
  /** The written channels that `remembers` asks for (those a state had lagging). */
  readonly written = new Map<string, ListedChannel>();
  private readonly batches: Batch[] = [];
  private readonly inFlight = new Map<string, { batch: Batch; channel: ListedChannel }>();
  private through: Instant | undefined;
  /** No claim reaches past this instant (channels the listing could not give are created at it). */
  private cap: Instant | undefined;

  constructor(private readonly remembers: (cid: string) => boolean) {}

  /** The next channels planned, after every channel planned before them in created_at order. */
  planned(channels: readonly ListedChannel[]): void {
    const batch = { channels, open: new Set(channels.map((channel) => channel.cid)) };
    this.batches.push(batch);
    for (const channel of channels) this.inFlight.set(channel.cid, { batch, channel });
  }

  /** A planned channel still in flight, as it was listed. */
  channelOf(cid: string): ListedChannel | undefined {
    return this.inFlight.get(cid)?.channel;
  }

  /** Channels created at this instant were not listed: no checkpoint claims them. */
  holdBefore(instant: Instant): void {
    if (this.cap === undefined || instant.isBefore(this.cap)) this.cap = instant;
  }

  settle(cids: readonly string[], ok: boolean): void {
    for (const cid of cids) {
      const entry = this.inFlight.get(cid);
      if (entry === undefined) continue;
      entry.batch.open.delete(cid);
      if (!ok) {
        this.failed.set(cid, entry.channel);
        this.written.delete(cid);
      } else if (this.remembers(cid)) {
        this.written.set(cid, entry.channel);
      }
    }
    for (let first = this.batches[0]; first !== undefined && first.open.size === 0; first = this.batches[0]) {
      this.batches.shift();
      for (const channel of first.channels) this.inFlight.delete(channel.cid);
      this.through = first.channels.findLast((channel) => channel.created_at !== undefined)?.created_at ?? this.through;
    }
  }

  /**
   * Every channel listed before the first batch still open is settled, and so is every channel created
   * before that batch's first: the listing gives them first. With none open, those created before the
   * last settled (channels tied with it may not be listed yet). Nothing before a batch is settled.
   */
  private settledBefore(): Instant | undefined {
    if (this.through === undefined) return undefined;
    const first = this.batches[0]?.channels[0];
    return first === undefined ? this.through : (first.created_at ?? this.through);
  }

  outcome(finished: boolean, newest: Instant | undefined): SyncOutcome {
    const before = this.settledBefore();
    const createdBefore = this.cap !== undefined && before !== undefined && this.cap.isBefore(before) ? this.cap : before;
    return { finished, createdBefore, failed: this.failed, written: this.written, newest };
  }
}
