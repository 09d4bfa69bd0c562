import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { SystemError } from '../errors.js';
import { ROW_GROUP_ROWS } from './open-database.js';
import type { TableContract } from './table-contract.js';
import { CURSOR_COLUMN } from './table-contract.js';
import { clearTableSql, createStageTableSql, deleteStateSql, insertSql, saveStateSql, stageTableName, updateSql } from './table-sql.js';

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
}

interface StagedRecord {
  keys: string[];
  /** The keys joined: to notice a key staged twice. */
  key: string;
  cursor: string | null;
  /** The record's JSON: its UTF-8 bytes (half the memory of its text while it waits), or its text. */
  json: Uint8Array | string;
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

/** Records go to the stage table this many at a time (one queued step). */
const APPEND_ROWS = 2_048;
/** Staged records are merged into the table, and committed, once this many wait: whole row groups, written straight to the file. */
const MERGE_ROWS = 2 * ROW_GROUP_ROWS;

/**
 * Loads one stream into its table through its own connection: records are staged (appender into a
 * temporary table) and merged into the table every `mergeRows`, each merge in a transaction of its
 * own; a state is committed in the transaction of the merge of every record before it. A merge is an
 * idempotent upsert (one row per key, a record replaces a row not newer), so rows committed ahead of
 * their state are harmless: a sync killed at any moment leaves rows and a state that covers no more
 * than they hold, and the next sync, starting from that state, exports them again without adding a
 * row. A full refresh deletes the old rows and the old state in its first transaction. The database
 * work runs on DuckDB's threads while the caller reads on: steps are queued in order, and `add`
 * returns a promise only when too many records wait.
 */
export class StreamLoader {
  readonly counts: LoadCounts = { records: 0, replaced: 0, skipped: 0, states: 0 };
  private pending: StagedRecord[] = [];
  private waiting = 0;
  private staged = 0;
  /** The keys in the stage, and whether one came twice. */
  private stagedKeys = new Set<string>();
  private repeatedKeys = false;
  /**
   * The table was empty when the sync began: merges only insert, until the primary key refuses a key
   * merged before (then, for the rest of the sync, they update and join with the table).
   */
  private fresh: boolean;
  private seq = 0;
  private inTransaction = false;
  private cleared = false;
  private stopped = false;
  private abandoned = false;
  private failure: { error: unknown } | undefined;
  private tail: Promise<void> = Promise.resolve();
  private stall: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly mergeRows: number;
  private readonly highWater: number;

  private constructor(
    private readonly connection: DuckDBConnection,
    private appender: DuckDBAppender,
    private readonly contract: TableContract,
    private readonly options: StreamLoaderOptions,
  ) {
    this.mergeRows = Math.max(1, options.mergeRows ?? MERGE_ROWS);
    // More records than this not yet staged: `add` asks the caller to wait (the reader keeps reading
    // while a merge runs, and their memory stays bounded).
    this.highWater = Math.max(1, Math.floor(this.mergeRows / 2));
    this.fresh = options.fullRefresh || options.empty === true;
  }

  static async open(connection: DuckDBConnection, contract: TableContract, options: StreamLoaderOptions): Promise<StreamLoader> {
    return new StreamLoader(connection, await StreamLoader.newStage(connection, contract), contract, options);
  }

  /**
   * An empty stage and its appender. The stage is made anew after each merge rather than emptied:
   * deleted rows of a temporary table keep their memory.
   */
  private static async newStage(connection: DuckDBConnection, contract: TableContract): Promise<DuckDBAppender> {
    await connection.run(createStageTableSql(contract));
    return connection.createAppender(stageTableName(contract), 'main', 'temp');
  }

  /**
   * Stages one record; a promise means: wait for it before adding more. `json`, when given, is `data`
   * already serialised in UTF-8 (see SyncWriter.record): it is stored as it is instead of serialising
   * `data` again.
   */
  add(data: Record<string, unknown>, json?: Uint8Array): Promise<void> | undefined {
    if (this.stopped) return undefined;
    this.counts.records += 1;
    const keys: string[] = [];
    for (const field of this.contract.primaryKey) {
      const value = data[field];
      if (value === undefined || value === null) {
        this.counts.skipped += 1;
        return undefined;
      }
      keys.push(typeof value === 'string' ? value : JSON.stringify(value));
    }
    const cursor = data[CURSOR_COLUMN];
    this.pending.push({
      keys,
      key: keys.length === 1 ? (keys[0] as string) : JSON.stringify(keys),
      cursor: typeof cursor === 'string' ? cursor : null,
      json: json ?? JSON.stringify(data),
    });
    this.waiting += 1;
    if (this.pending.length >= Math.min(APPEND_ROWS, this.highWater)) this.enqueueStaging();
    if (this.waiting < this.highWater) return undefined;
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
    const records = this.takePending();
    const text = JSON.stringify(state);
    this.enqueue(async () => {
      await this.stage(records, false);
      await this.merge(text);
      this.counts.states += 1;
    });
  }

  /** Resolves when every queued step is done; rejects with the first failure. */
  async drain(): Promise<void> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure.error;
  }

  /**
   * Stops loading (after drain, or instead of it): queued steps are dropped, a running statement is
   * interrupted, and the merge under way is rolled back. The connection stays the caller's.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    this.abandoned = true;
    this.pending = [];
    this.connection.interrupt();
    await this.tail;
    await this.rollback();
    this.release();
    try {
      this.appender.closeSync();
    } catch {
      // What the stage still holds is covered by no state: it may go.
    }
  }

  private takePending(): StagedRecord[] {
    const records = this.pending;
    this.pending = [];
    return records;
  }

  private enqueueStaging(): void {
    const records = this.takePending();
    this.enqueue(() => this.stage(records, true));
  }

  private enqueue(step: () => Promise<void>): void {
    this.tail = this.tail.then(async () => {
      if (this.stopped || this.failure !== undefined) return;
      try {
        await step();
      } catch (error) {
        // A statement interrupted by abandon() is no failure.
        if (this.abandoned) return;
        const failure = new SystemError(`Writing the ${this.contract.name} table failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          context: { stream: this.contract.name },
        });
        this.failure = { error: failure };
        this.stopped = true;
        this.release();
        this.options.onFailure(failure);
      }
    });
  }

  /** Appends records to the stage; with `mayMerge`, merges the stage once it is large enough. */
  private async stage(records: readonly StagedRecord[], mayMerge: boolean): Promise<void> {
    const { appender } = this;
    for (const record of records) {
      appender.appendInteger(this.seq++);
      for (const key of record.keys) appender.appendVarchar(key);
      if (record.cursor === null) appender.appendNull();
      else appender.appendVarchar(record.cursor);
      const { json } = record;
      appender.appendVarchar(typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
      appender.endRow();
      if (this.stagedKeys.has(record.key)) this.repeatedKeys = true;
      else this.stagedKeys.add(record.key);
    }
    this.staged += records.length;
    this.waiting -= records.length;
    if (this.waiting < this.highWater / 2) this.release();
    if (mayMerge && this.staged >= this.mergeRows) await this.merge(undefined);
  }

  /**
   * In one transaction: a full refresh's first deletes the table's rows and its old state; the staged
   * records are merged; `state` (JSON text), when given, is saved. When the table turns out to hold a
   * staged key after all (the primary key refuses the insert), the transaction is rolled back and made
   * again with the general merge; any other failure is the merge's.
   */
  private async merge(state: string | undefined): Promise<void> {
    if (this.staged === 0 && state === undefined) return;
    if (this.staged > 0) this.appender.flushSync();
    const fresh = this.fresh;
    try {
      await this.transaction(state, fresh);
    } catch (error) {
      if (!fresh || this.abandoned || !isDuplicateKeyError(error)) throw error;
      await this.rollback();
      this.fresh = false;
      await this.transaction(state, false);
    }
    if (this.staged > 0) {
      this.appender.closeSync();
      this.appender = await StreamLoader.newStage(this.connection, this.contract);
    }
    this.staged = 0;
    this.stagedKeys = new Set();
    this.repeatedKeys = false;
  }

  private async transaction(state: string | undefined, fresh: boolean): Promise<void> {
    await this.connection.run('BEGIN TRANSACTION');
    this.inTransaction = true;
    let replaced = 0;
    if (this.options.fullRefresh && !this.cleared) {
      replaced = (await this.connection.run(clearTableSql(this.contract))).rowsChanged;
      await this.connection.run(deleteStateSql(), { stream: this.contract.name });
    }
    if (this.staged > 0) {
      const options = { repeatedKeys: this.repeatedKeys, fresh };
      if (!fresh) await this.connection.run(updateSql(this.contract, options));
      await this.connection.run(insertSql(this.contract, options));
    }
    if (state !== undefined) await this.connection.run(saveStateSql(), { stream: this.contract.name, state });
    await this.connection.run('COMMIT');
    this.inTransaction = false;
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
