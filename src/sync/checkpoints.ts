import type { SyncWriter } from './sync-writer.js';
import type { StreamName } from '../records/index.js';

/** Airbyte fails a sync that prints nothing for long; re-print the states after this many silent checks. */
const HEARTBEAT_SILENCE_CHECKS = 4;
/**
 * States list every channel, so with thousands of channels each is hundreds of kilobytes: between
 * batches, a state waits until its size at this rate has passed since the last one (small states go
 * out after every batch, huge ones every minute or two; the last ones of a sync always).
 */
const STATE_BYTES_PER_MS = 20;

export interface SaveOptions {
  /** The sync succeeded: updated_at cursors may move. */
  final?: boolean;
  /** Print now, whatever the size-based spacing. */
  force?: boolean;
  /** Print unchanged states too: the heartbeat of a sync waiting on slow tasks. */
  repeat?: boolean;
}

/**
 * Writes records and states: a stream's state goes out when it changed or records came since its
 * last one, so no two identical states follow each other without records between them (but for
 * the heartbeat).
 */
export class Checkpoints {
  total = 0;
  private readonly recordsSince = new Map<StreamName, number>();
  private readonly lastSaved = new Map<StreamName, string>();
  private lastSaveAt = Number.NEGATIVE_INFINITY;
  private silentChecks = 0;
  private totalAtLastCheck = 0;
  /** The save being printed, if any: the next one waits for it, so two saves never interleave their states. */
  private saving: Promise<void> | undefined;
  /** A final save was asked for: every state after it would be one of a sync already over. */
  private finished = false;

  constructor(
    private readonly writer: SyncWriter,
    private readonly names: readonly StreamName[],
    private readonly stateOf: (name: StreamName, final: boolean) => Record<string, unknown>,
    private readonly now: () => number = Date.now,
  ) {}

  /** `json`: `data` already serialised in UTF-8, when it is (see MessageWriter.record). */
  record(stream: StreamName, data: Record<string, unknown>, json?: Uint8Array): Promise<void> | undefined {
    const wait = this.writer.record(stream, data, json);
    this.total += 1;
    this.recordsSince.set(stream, (this.recordsSince.get(stream) ?? 0) + 1);
    return wait;
  }

  /**
   * Prints the states that changed; unless forced, only as often as their size allows. Saves run one
   * at a time, in the order asked (a heartbeat may come while stdout holds up a save), and none after
   * the final one.
   */
  save(options: SaveOptions = {}): Promise<void> {
    if (this.finished) return this.saving ?? Promise.resolve();
    if (options.final === true) this.finished = true;
    const turn = this.saving === undefined ? this.print(options) : this.saving.then(() => this.print(options));
    const done: Promise<void> = turn
      .catch(() => undefined)
      .finally(() => {
        if (this.saving === done) this.saving = undefined;
      });
    this.saving = done;
    return turn;
  }

  private async print({ final = false, force = false, repeat = false }: SaveOptions): Promise<void> {
    const due = this.names
      .map((name) => ({ name, state: this.stateOf(name, final) }))
      .map((entry) => ({ ...entry, text: JSON.stringify(entry.state) }))
      .filter(({ name, text }) => repeat || this.lastSaved.get(name) !== text || this.recordsSince.get(name));
    const bytes = due.reduce((sum, { text }) => sum + text.length, 0);
    if (!force && this.now() - this.lastSaveAt < bytes / STATE_BYTES_PER_MS) return;
    this.lastSaveAt = this.now();
    for (const { name, state, text } of due) {
      this.lastSaved.set(name, text);
      this.recordsSince.set(name, 0);
      await this.writer.state(name, state);
    }
  }

  /**
   * Called every minute: after a few silent minutes (slow tasks) print each stream's current
   * state, which covers only exports already written, changed or not. The caller owns the promise:
   * a failure to write is the sync's failure.
   */
  heartbeat(): Promise<void> | undefined {
    this.silentChecks = this.total === this.totalAtLastCheck ? this.silentChecks + 1 : 0;
    this.totalAtLastCheck = this.total;
    if (this.silentChecks < HEARTBEAT_SILENCE_CHECKS) return undefined;
    this.silentChecks = 0;
    return this.save({ force: true, repeat: true });
  }
}
