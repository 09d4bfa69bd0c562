import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SystemError } from '../errors.js';
import { ROW_GROUP_ROWS } from './open-database.js';
import { MergeLane } from './merge-lane.js';
import { lineOf, StageFile } from './stage-file.js';
import type { TableContract } from './table-contract.js';
import { clearTableSql, deleteStateSql, indexMemorySql, insertSql, saveStateSql, updateSql, type Deletion } from './table-sql.js';

export interface StreamLoaderOptions {
  /**
   * Replace the table: its rows, and its old state, are deleted in the transaction of its first merge
   * or state (a refresh killed after that leaves no state: the next sync reads the stream whole).
   */
  fullRefresh: boolean;
  /** The table holds no rows: merges skip the update and the join with the table while no key comes again. */
  empty?: boolean;
  /** Staged records are merged, and committed, once this many wait. Default MERGE_ROWS. */
  mergeRows?: number;
  /** Where the stage files are written (a folder of the sync's own, beside the database). */
  stageFolder: string;
  /** Where merges wait their turn; default a lane of this loader's own. */
  lane?: MergeLane;
  /** Told of the first failure; the loader does nothing after it. */
  onFailure: (error: unknown) => void;
}

export interface LoadCounts {
  /** Records received. */
  records: number;
  /** Rows a full refresh deleted before loading (committed). */
  replaced: number;
  /** Records without a primary key value: they cannot be stored. */
  skipped: number;
  /** States saved. */
  states: number;
  /** Rows deleted as Stream no longer has them (committed). */
  deleted: number;
}

/**
 * DuckDB's words when a primary key or unique constraint refuses a key (its errors carry no type): "Duplicate
 * key … violates primary key constraint", or "PRIMARY KEY or UNIQUE constraint violation: duplicate key …"
 * when the key came earlier in the same transaction. NOT NULL and CHECK violations say neither.
 */
const DUPLICATE_KEY = /^Constraint Error: .*duplicate key/i;

/** Whether `error` is DuckDB refusing a key its primary key (or a unique constraint) already holds. */
function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof Error && DUPLICATE_KEY.test(error.message);
}

/** Staged records are merged into the table, and committed, once this many wait: whole row groups, written straight to the file. */
const MERGE_ROWS = 2 * ROW_GROUP_ROWS;
/**
 * DuckDB holds a primary key's index in memory, where it cannot evict it, until a checkpoint writes it to
 * the file; past this size a merge checkpoints (without it, 1 M messages outgrew the memory limit).
 */
const INDEX_BYTES = 16 * 1024 * 1024;
/** Closed stages not yet merged, past which `add` asks the caller to wait: one merging, one waiting its turn. */
const CLOSED_STAGES = 2;

/**
 * Loads one stream into its table through its own connection: records are staged (JSON lines in a
 * file) and merged into the table every `mergeRows`, each merge in a transaction of its own; a state
 * is committed in the transaction of the merge of every record before it. A merge is an idempotent
 * upsert (one row per key, a record replaces a row not newer), so rows committed ahead of their state
 * are harmless: a sync killed at any moment leaves rows and a state that covers no more than they
 * hold, and the next sync, starting from that state, exports them again without adding a row. A full
 * refresh deletes the old rows and the old state in its first transaction. DuckDB merges a closed
 * stage on its thread while the caller reads on into the next; `add` returns a promise only when
 * merges fall behind.
 */
export class StreamLoader {
  readonly counts: LoadCounts = { records: 0, replaced: 0, skipped: 0, states: 0, deleted: 0 };
  private stage: StageFile;
  private stages = 0;
  /** Stages closed and not yet merged. */
  private closed = 0;
  /**
   * The table was empty when the sync began: merges only insert, until the primary key refuses a key
   * merged before (then, for the rest of the sync, they update and join with the table).
   */
  private fresh: boolean;
  private inTransaction = false;
  private cleared = false;
  private stopped = false;
  private abandoned = false;
  private failure: { error: unknown } | undefined;
  private tail: Promise<void> = Promise.resolve();
  private stall: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly mergeRows: number;
  private readonly lane: MergeLane;

  constructor(
    private readonly connection: DuckDBConnection,
    readonly contract: TableContract,
    private readonly options: StreamLoaderOptions,
  ) {
    this.mergeRows = Math.max(1, options.mergeRows ?? MERGE_ROWS);
    this.fresh = options.fullRefresh || options.empty === true;
    this.lane = options.lane ?? new MergeLane();
    this.stage = this.newStage();
  }

  /**
   * Stages one record; a promise means: wait for it before adding more. `json`, when given, is `data`
   * already serialised in UTF-8 (see SyncWriter.record): it is stored as it is instead of serialising
   * `data` again.
   */
  add(data: Record<string, unknown>, json?: Uint8Array): Promise<void> | undefined {
    if (this.stopped) return undefined;
    this.counts.records += 1;
    const key = this.keyOf(data);
    if (key === undefined) {
      this.counts.skipped += 1;
      return undefined;
    }
    try {
      // A key that comes again waits for the next merge, which judges it against the row this one makes.
      if (this.stage.has(key)) this.closeStage(undefined);
      this.stage.append(key, lineOf(data, json));
      if (this.stage.rows >= this.mergeRows) this.closeStage(undefined);
    } catch (error) {
      this.fail(error);
      return undefined;
    }
    if (this.closed < CLOSED_STAGES) return undefined;
    if (this.stall === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.stall = { promise, resolve };
    }
    return this.stall.promise;
  }

  /** The stream's state, committed with every record added before it. */
  save(state: Record<string, unknown>): void {
    if (this.stopped) return;
    try {
      this.closeStage(JSON.stringify(state));
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Rows Stream no longer has, proved by records added before: deleted in the transaction of the merge
   * of those records, so before any state that covers them (a sync killed before it commits exports
   * them again, and the deletion is made again).
   */
  remove(deletion: Deletion): void {
    if (this.stopped) return;
    try {
      this.closeStage(undefined, deletion);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Resolves when every queued step is done; rejects with the first failure. */
  async drain(): Promise<void> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure.error;
  }

  /**
   * Stops loading (after drain, or instead of it): queued merges are dropped, a running statement is
   * interrupted, and the merge under way is rolled back. The connection stays the caller's; the stage
   * folder too (the records no state covers may go with it).
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    this.abandoned = true;
    this.connection.interrupt();
    await this.tail;
    await this.rollback();
    this.release();
    this.stage.remove();
  }

  /** The record's primary key as one string, or undefined when a key field has no value. */
  private keyOf(data: Record<string, unknown>): string | undefined {
    const keys: string[] = [];
    for (const field of this.contract.primaryKey) {
      const value = data[field];
      if (value === undefined || value === null) return undefined;
      keys.push(typeof value === 'string' ? value : JSON.stringify(value));
    }
    return keys.length === 1 ? keys[0] : JSON.stringify(keys);
  }

  private newStage(): StageFile {
    this.stages += 1;
    return new StageFile(join(this.options.stageFolder, `${this.contract.name}-${this.stages}.jsonl`));
  }

  /** Closes the stage and queues its merge, with `state` (JSON text) and `deletion` when given; the next records go to a new stage. */
  private closeStage(state: string | undefined, deletion?: Deletion): void {
    const stage = this.stage;
    stage.close();
    this.stage = this.newStage();
    this.closed += 1;
    this.tail = this.lane.queue(async () => {
      try {
        if (!this.stopped) {
          await this.merge(stage, state, deletion);
          if (state !== undefined) this.counts.states += 1;
        }
      } catch (error) {
        // A statement interrupted by abandon() is no failure.
        if (!this.abandoned) this.fail(error);
      }
      // The stage goes once merged, or once its merge is dropped.
      this.closed -= 1;
      if (this.closed < CLOSED_STAGES) this.release();
      try {
        stage.remove();
      } catch (error) {
        this.fail(error);
      }
    });
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    const failure = new SystemError(`Writing the ${this.contract.name} table failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      context: { stream: this.contract.name },
    });
    this.failure = { error: failure };
    this.stopped = true;
    this.release();
    this.options.onFailure(failure);
  }

  /**
   * In one transaction: a full refresh's first deletes the table's rows and its old state; the staged
   * records are merged; `state` (JSON text), when given, is saved. When the table turns out to hold a
   * staged key after all (the primary key refuses the insert), the transaction is rolled back and made
   * again with the general merge; any other failure is the merge's.
   */
  private async merge(stage: StageFile, state: string | undefined, deletion: Deletion | undefined): Promise<void> {
    if (stage.rows === 0 && state === undefined && deletion === undefined) return;
    const fresh = this.fresh;
    try {
      await this.transaction(stage, state, deletion, fresh);
    } catch (error) {
      if (!fresh || this.abandoned || !isDuplicateKeyError(error)) throw error;
      await this.rollback();
      this.fresh = false;
      await this.transaction(stage, state, deletion, false);
    }
    // Merges take turns on the lane: no other transaction is open.
    const index = await this.connection.runAndReadAll(indexMemorySql());
    if (Number(index.getRows()[0]?.[0] ?? 0) > INDEX_BYTES) await this.connection.run('CHECKPOINT');
  }

  private async transaction(stage: StageFile, state: string | undefined, deletion: Deletion | undefined, fresh: boolean): Promise<void> {
    await this.connection.run('BEGIN TRANSACTION');
    this.inTransaction = true;
    let replaced = 0;
    if (this.options.fullRefresh && !this.cleared) {
      replaced = (await this.connection.run(clearTableSql(this.contract))).rowsChanged;
      await this.connection.run(deleteStateSql(), { stream: this.contract.name });
    }
    if (stage.rows > 0) {
      if (!fresh) await this.connection.run(updateSql(this.contract, stage));
      await this.connection.run(insertSql(this.contract, stage, { fresh }));
    }
    const deleted = deletion === undefined ? 0 : (await this.connection.run(deletion.sql, deletion.params)).rowsChanged;
    if (state !== undefined) await this.connection.run(saveStateSql(), { stream: this.contract.name, state });
    await this.connection.run('COMMIT');
    this.inTransaction = false;
    this.counts.deleted += deleted;
    if (this.options.fullRefresh && !this.cleared) {
      this.cleared = true;
      this.counts.replaced += replaced;
    }
  }

  private async rollback(): Promise<void> {
    if (this.inTransaction) await this.connection.run('ROLLBACK').catch(() => undefined);
    this.inTransaction = false;
  }

  private release(): void {
    const stall = this.stall;
    this.stall = undefined;
    stall?.resolve();
  }
}
