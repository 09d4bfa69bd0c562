import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { SystemError } from '../errors.js';
import type { TableContract } from './table-contract.js';
import { CURSOR_COLUMN } from './table-contract.js';
import { clearStageSql, clearTableSql, createStageTableSql, insertSql, saveStateSql, stageTableName, updateSql } from './table-sql.js';

export interface StreamLoaderOptions {
  /** Replace the table: its rows are deleted in the transaction of its first merge or state. */
  fullRefresh: boolean;
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
  json: string;
}

/** Records go to the stage table this many at a time (one queued step). */
const APPEND_ROWS = 2_048;
/** Staged records are merged into the table, inside the open transaction, once this many wait. */
const MERGE_ROWS = 20_000;
/** More records than this not yet staged: `add` asks the caller to wait. */
const HIGH_WATER_ROWS = 2 * MERGE_ROWS;

/**
 * Loads one stream into its table through its own connection, so that its transaction holds exactly
 * this stream's rows: records are staged (appender into a temporary table), merged into the table
 * every MERGE_ROWS inside an open transaction, and the transaction is committed together with the
 * stream's state when the state arrives. A sync killed at any moment leaves the table and its state
 * as of the last commit. The database work runs on DuckDB's threads while the caller reads on: steps
 * are queued in order, and `add` returns a promise only when too many records wait.
 */
export class StreamLoader {
  readonly counts: LoadCounts = { records: 0, replaced: 0, skipped: 0, states: 0 };
  private uncommittedReplaced = 0;
  private pending: StagedRecord[] = [];
  private waiting = 0;
  private staged = 0;
  /** The keys in the stage, and whether one came twice. */
  private stagedKeys = new Set<string>();
  private repeatedKeys = false;
  private seq = 0;
  private inTransaction = false;
  private cleared = false;
  private stopped = false;
  private abandoned = false;
  private failure: { error: unknown } | undefined;
  private tail: Promise<void> = Promise.resolve();
  private stall: { promise: Promise<void>; resolve: () => void } | undefined;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly appender: DuckDBAppender,
    private readonly contract: TableContract,
    private readonly options: StreamLoaderOptions,
  ) {}

  static async open(connection: DuckDBConnection, contract: TableContract, options: StreamLoaderOptions): Promise<StreamLoader> {
    await connection.run(createStageTableSql(contract));
    const appender = await connection.createAppender(stageTableName(contract), 'main', 'temp');
    return new StreamLoader(connection, appender, contract, options);
  }

  /** Stages one record; a promise means: wait for it before adding more. */
  add(data: Record<string, unknown>): Promise<void> | undefined {
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
      json: JSON.stringify(data),
    });
    this.waiting += 1;
    if (this.pending.length >= APPEND_ROWS) this.enqueueStaging();
    if (this.waiting < HIGH_WATER_ROWS) return undefined;
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
      await this.stage(records);
      await this.merge();
      await this.begin();
      await this.connection.run(saveStateSql(), { stream: this.contract.name, state: text });
      await this.connection.run('COMMIT');
      this.inTransaction = false;
      this.counts.replaced += this.uncommittedReplaced;
      this.uncommittedReplaced = 0;
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
   * interrupted, and whatever no state covers is rolled back. The connection stays the caller's.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    this.abandoned = true;
    this.pending = [];
    this.connection.interrupt();
    await this.tail;
    if (this.inTransaction) await this.connection.run('ROLLBACK').catch(() => undefined);
    this.inTransaction = false;
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
    this.enqueue(() => this.stage(records));
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

  /** Appends records to the stage; merges the stage once it is large enough. */
  private async stage(records: readonly StagedRecord[]): Promise<void> {
    const { appender } = this;
    for (const record of records) {
      appender.appendInteger(this.seq++);
      for (const key of record.keys) appender.appendVarchar(key);
      if (record.cursor === null) appender.appendNull();
      else appender.appendVarchar(record.cursor);
      appender.appendVarchar(record.json);
      appender.endRow();
      if (this.stagedKeys.has(record.key)) this.repeatedKeys = true;
      else this.stagedKeys.add(record.key);
    }
    this.staged += records.length;
    this.waiting -= records.length;
    if (this.waiting < HIGH_WATER_ROWS / 2) this.release();
    if (this.staged >= MERGE_ROWS) await this.merge();
  }

  private async merge(): Promise<void> {
    if (this.staged === 0) return;
    this.appender.flushSync();
    await this.begin();
    const options = { repeatedKeys: this.repeatedKeys };
    await this.connection.run(updateSql(this.contract, options));
    await this.connection.run(insertSql(this.contract, options));
    await this.connection.run(clearStageSql(this.contract));
    this.staged = 0;
    this.stagedKeys = new Set();
    this.repeatedKeys = false;
  }

  /** Opens the transaction if none is; a full refresh deletes the table's rows in its first one. */
  private async begin(): Promise<void> {
    if (!this.inTransaction) {
      await this.connection.run('BEGIN TRANSACTION');
      this.inTransaction = true;
    }
    if (this.options.fullRefresh && !this.cleared) {
      const result = await this.connection.run(clearTableSql(this.contract));
      this.uncommittedReplaced = result.rowsChanged;
      this.cleared = true;
    }
  }

  private release(): void {
    const stall = this.stall;
    this.stall = undefined;
    stall?.resolve();
  }
}
