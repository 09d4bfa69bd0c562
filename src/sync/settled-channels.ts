import type { SyncOutcome } from '../plan/next-state.js';

interface Batch {
  cids: readonly string[];
  open: Set<string>;
}

/**
 * The planned channels still in flight, batch by batch in cid order, and which are settled (written or
 * failed), so a checkpoint can say "every channel up to this cid" in one field however many there are.
 * A batch is forgotten once it and every batch before it are settled: memory holds what is in flight.
 */
export class SettledChannels {
  readonly failed = new Set<string>();
  /** The written channels that `remembers` asks for (those a state had lagging). */
  readonly written = new Set<string>();
  private readonly batches: Batch[] = [];
  private readonly batchOf = new Map<string, Batch>();
  private through: string | undefined;

  constructor(private readonly remembers: (cid: string) => boolean) {}

  /** The next channels planned, after every channel planned before them in cid order. */
  planned(cids: readonly string[]): void {
    const batch = { cids, open: new Set(cids) };
    this.batches.push(batch);
    for (const cid of cids) this.batchOf.set(cid, batch);
  }

  settle(cids: readonly string[], ok: boolean): void {
    for (const cid of cids) {
      const batch = this.batchOf.get(cid);
      if (batch === undefined) continue;
      batch.open.delete(cid);
      if (!ok) {
        this.failed.add(cid);
        this.written.delete(cid);
      } else if (this.remembers(cid)) {
        this.written.add(cid);
      }
    }
    for (let first = this.batches[0]; first !== undefined && first.open.size === 0; first = this.batches[0]) {
      this.batches.shift();
      for (const cid of first.cids) this.batchOf.delete(cid);
      this.through = first.cids.at(-1) ?? this.through;
    }
  }

  outcome(finished: boolean, newest: string | undefined): SyncOutcome {
    return { finished, through: this.through, failed: this.failed, written: this.written, newest };
  }
}
