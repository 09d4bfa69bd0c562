import type { SyncWriter } from './sync-writer.js';

/** Distinct skip reasons counted; past this, the rest are counted together. */
const MAX_SKIP_REASONS = 50;

/** Lines or records skipped, counted by reason, for one WARN each. */
export class Skipped {
  private readonly counts = new Map<string, number>();

  /** Whether nothing was skipped. */
  get none(): boolean {
    return this.counts.size === 0;
  }

  readonly note = (reason: string): void => {
    const key = this.counts.has(reason) || this.counts.size < MAX_SKIP_REASONS ? reason : 'other reasons';
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };

  async report(writer: Pick<SyncWriter, 'log'>, what: string): Promise<void> {
    for (const [reason, count] of this.counts) await writer.log('WARN', `${what}: ${count} × ${reason}`);
  }
}
