import { mkdirSync, rmSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Config } from '../config.js';
import type { ConfiguredStream } from '../protocol/inputs.js';
import type { StreamName } from '../records/index.js';
import type { SyncClient } from '../sync/export-job.js';
import { runSync } from '../sync/run-sync.js';
import type { ConsoleReport } from './console-report.js';
import { DuckDBWriter } from './duckdb-writer.js';
import type { DuckDBModule } from './load-duckdb.js';
import { MergeLane } from './merge-lane.js';
import { openDatabase } from './open-database.js';
import { prepareTables } from './prepare-tables.js';
import { StreamLoader, type LoadCounts } from './stream-loader.js';
import { tableContracts } from './table-contract.js';
import { rowCountsSql } from './table-sql.js';

export interface LocalSyncInput {
  duckdb: DuckDBModule;
  /** The database file, created on first use. */
  path: string;
  config: Config;
  streams: readonly StreamName[];
  /** Read everything and replace the tables (each in the transaction of its first batch). */
  fullRefresh: boolean;
  client: SyncClient;
  report: ConsoleReport;
  signal: AbortSignal;
  /** Where the sync's windows end; default Stream's clock less the settle margin. */
  now?: Date;
}

export interface TableOutcome extends LoadCounts {
  name: StreamName;
  /** Rows in the table after the sync. */
  rows: number;
  /** Rows new to the table. */
  inserted: number;
  /** Rows that existed before the sync and were replaced by a record not older and different. */
  updated: number;
}

export interface LocalSyncOutcome {
  tables: TableOutcome[];
  /** Tables made by this sync. */
  created: StreamName[];
  /** Columns added to existing tables for fields new to their schema. */
  added: Array<{ table: StreamName; column: string }>;
}

/**
 * `sync`: the read path in-process, into a DuckDB file that keeps the states. Tables are prepared
 * first (created, or given the columns a newer schema adds); each stream then loads through its own
 * connection and commits its rows with its state. Whatever no state covers is rolled back when the
 * sync fails or is interrupted; a DuckDB failure stops the read.
 */
export async function localSync(input: LocalSyncInput): Promise<LocalSyncOutcome> {
  const contracts = [...tableContracts().values()].filter((contract) => input.streams.includes(contract.name));
  // Rows are stamped _synced_at by this host's clock: those stamped since it began are this sync's.
  const began = new Date();
  const instance = await openDatabase(input.duckdb, input.path);
  // Records wait for their merge in files beside the database; the database's lock is this sync's, and
  // so is the folder: what an earlier sync killed there left is no one's.
  const stageFolder = `${input.path}.stage`;
  const connections: DuckDBConnection[] = [];
  const connect = async () => {
    const connection = await instance.connect();
    connections.push(connection);
    return connection;
  };
  try {
    const control = await connect();
    rmSync(stageFolder, { recursive: true, force: true });
    mkdirSync(stageFolder);
    const prepared = await prepareTables(control, contracts, input.path);
    const failed = new AbortController();
    const loaders = new Map<StreamName, StreamLoader>();
    const lane = new MergeLane();
    for (const contract of contracts) {
      const empty = prepared.rows.get(contract.name) === 0;
      const options = { fullRefresh: input.fullRefresh, empty, stageFolder, lane, onFailure: (error: unknown) => failed.abort(error) };
      loaders.set(contract.name, new StreamLoader(await connect(), contract, options));
    }
    const streams: ConfiguredStream[] = contracts.map((contract) => ({ name: contract.name, syncMode: input.fullRefresh ? 'full_refresh' : 'incremental' }));
    try {
      await runSync({
        config: input.config,
        streams,
        state: input.fullRefresh ? new Map() : prepared.states,
        writer: new DuckDBWriter(loaders, input.report),
        client: input.client,
        signal: AbortSignal.any([input.signal, failed.signal]),
        now: input.now,
        mirror: true,
      });
      await Promise.all([...loaders.values()].map((loader) => loader.drain()));
    } catch (error) {
      // The states runSync saved on its way out are committed; an interrupted sync commits nothing more.
      if (!input.signal.aborted) await Promise.allSettled([...loaders.values()].map((loader) => loader.drain()));
      throw failed.signal.aborted ? failed.signal.reason : error;
    } finally {
      await Promise.all([...loaders.values()].map((loader) => loader.abandon()));
    }
    const tables: TableOutcome[] = [];
    for (const contract of contracts) {
      const counts = loaders.get(contract.name)?.counts ?? { records: 0, replaced: 0, skipped: 0, states: 0, deleted: 0 };
      const reader = await control.runAndReadAll(rowCountsSql(contract), { since: began.toISOString() });
      const rows = Number(reader.getRowObjects()[0]?.rows ?? 0);
      const written = Number(reader.getRowObjects()[0]?.written ?? 0);
      // Rows written since the sync began are new, or replaced rows that were there before it (and not deleted since).
      const inserted = rows - ((prepared.rows.get(contract.name) ?? 0) - counts.replaced - counts.deleted);
      tables.push({ name: contract.name, ...counts, rows, inserted, updated: written - inserted });
    }
    return { tables, created: prepared.created, added: prepared.added };
  } finally {
    for (const connection of connections) connection.disconnectSync();
    instance.closeSync();
    rmSync(stageFolder, { recursive: true, force: true });
  }
}
