import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ConfigError, TransientError } from '../errors.js';
import type { DuckDBModule } from './load-duckdb.js';
import { identifier, literal } from './sql.js';

/**
 * DuckDB's settings for a sync. One thread: the read path keeps a core of its own, and the merges run
 * one at a time beside it (MergeLane). Memory is capped, DuckDB writing what does not fit to a
 * temporary folder beside the file, so a large sync keeps a bounded footprint on a laptop; the cap is
 * DuckDB's buffers only. Beyond it, DuckDB's allocator (jemalloc) kept the memory a merge had freed
 * for seconds: freed memory goes back to the system at once instead (some 100 MiB less at peak, for
 * some page faults more). A merge writes each row group to the file as soon as it is whole, rather than
 * holding five of them first.
 */
const SETTINGS = {
  threads: '1',
  memory_limit: '128MB',
  allocator_background_threads: 'true',
  allocator_bulk_deallocation_flush_threshold: '8MB',
  write_buffer_row_group_count: '1',
};

/**
 * Rows per row group of the tables (DuckDB's default is 122 880). A transaction that inserts whole row
 * groups writes them, compressed, straight to the file ("optimistic writes"): neither the WAL nor a
 * later checkpoint copies them again. With records of a kilobyte or two, DuckDB's default would need a
 * transaction of some 200 MB in memory to get there; merges of MERGE_ROWS (a multiple of this) do.
 */
export const ROW_GROUP_ROWS = 16_384;

/** The name the database file is attached under. */
const CATALOG = 'chat';

/** The database file, open: connections to it, and closing. */
export interface LocalDatabase {
  /** A connection whose default catalog is the file. */
  connect(): Promise<DuckDBConnection>;
  /** Checkpoints and closes the file. */
  closeSync(): void;
}

/** Another process holds the database. */
export class DatabaseInUseError extends TransientError {}

/** The path cannot hold a database: no such folder, not a DuckDB file, read-only. */
export class DatabaseUnusableError extends ConfigError {}

/**
 * Opens (or creates) the database file, with one clear sentence for what the user can fix: a folder
 * that does not exist, a file that is not a DuckDB database, a path that cannot be written, a database
 * another process has open. Nothing is created when opening fails.
 */
export async function openDatabase(duckdb: DuckDBModule, path: string): Promise<LocalDatabase> {
  const folder = dirname(resolve(path));
  const folderStat = await stat(folder).catch(() => undefined);
  if (folderStat === undefined) throw new DatabaseUnusableError(`Cannot create ${path}: the folder ${folder} does not exist`);
  if (!folderStat.isDirectory()) throw new DatabaseUnusableError(`Cannot create ${path}: ${folder} is not a folder`);
  // The file is attached to an in-memory instance: only ATTACH takes a row group size.
  // What DuckDB spills goes beside the file, as it would for a database opened directly (not to the working folder).
  const instance = await duckdb.DuckDBInstance.create(':memory:', { ...SETTINGS, temp_directory: `${resolve(path)}.tmp` });
  try {
    const connection = await instance.connect();
    try {
      await connection.run(`ATTACH ${literal(path)} AS ${identifier(CATALOG)} (ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`);
    } finally {
      connection.disconnectSync();
    }
  } catch (error) {
    instance.closeSync();
    throw openError(path, error);
  }
  return attached(instance);
}

function attached(instance: DuckDBInstance): LocalDatabase {
  return {
    async connect() {
      const connection = await instance.connect();
      await connection.run(`USE ${identifier(CATALOG)}`);
      return connection;
    },
    closeSync() {
      instance.closeSync();
    },
  };
}

/** A DuckDB error on opening `path` → the error to report. */
export function openError(path: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error, context: { path } };
  const holder = /Conflicting lock is held in (.+?) \(PID (\d+)\)/.exec(message);
  if (holder !== null) {
    return new DatabaseInUseError(
      `${path} is in use by another process (${holder[1]}, PID ${holder[2]}): let it finish, or close it, then sync again`,
      options,
    );
  }
  if (/Could not set lock/.test(message))
    return new DatabaseInUseError(`${path} is in use by another process: let it finish, or close it, then sync again`, options);
  if (/not a valid DuckDB database file|Invalid database header|Corrupt/i.test(message)) {
    return new DatabaseUnusableError(`${path} is not a DuckDB database, or it is damaged: move it aside or name another file`, options);
  }
  if (/Permission denied|Read-only file system|read-only/i.test(message)) {
    return new DatabaseUnusableError(`Cannot write ${path}: the path is read-only or not permitted`, options);
  }
  if (/Is a directory/.test(message)) return new DatabaseUnusableError(`${path} is a folder, not a database file`, options);
  return new DatabaseUnusableError(`Cannot open ${path}: ${firstLine(message)}`, options);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
