import type { SyncOutcome } from '../plan/next-state.js';

/**
 * The planned channels in cid order and which of them are settled (written or failed), so a
 * checkpoint can say "every channel up to this cid" in one field however many there are.
 */
export class SettledChannels {
  readonly written = new Set<string>();
  readonly failed = new Set<string>();
  private readonly position = new Map<string, number>();
  private readonly settled: Uint8Array;
  private next = 0;

  constructor(private readonly order: readonly string[]) {
    order.forEach((cid, index) => this.position.set(cid, index));
    this.settled = new Uint8Array(order.length);
  }

  settle(cids: readonly string[], ok: boolean): void {
    for (const cid of cids) {
      const index = this.position.get(cid);
      if (index === undefined) continue;
      this.settled[index] = 1;
      (ok ? this.written : this.failed).add(cid);
      if (!ok) this.written.delete(cid);
    }
    while (this.next < this.order.length && this.settled[this.next] === 1) this.next += 1;
  }

  outcome(finished: boolean, newest: string | undefined): SyncOutcome {
    return {
      finished,
      through: this.next === 0 ? undefined : this.order[this.next - 1],
      failed: this.failed,
      written: this.written,
      newest,
    };
  }
}
