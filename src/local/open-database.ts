import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { ConfigError, TransientError } from '../errors.js';
import type { DuckDBModule } from './load-duckdb.js';

/**
 * DuckDB's settings for a sync. One thread: the read path keeps a core of its own and the merges run
 * beside it (on two cores, two DuckDB threads slowed the read more than they sped the merges). Memory
 * is capped, DuckDB writing what does not fit to the file or a temporary folder beside it, so a large
 * sync keeps a bounded footprint on a laptop.
 */
const SETTINGS = { threads: '1', memory_limit: '256MB' };

/** Another process holds the database. */
export class DatabaseInUseError extends TransientError {}

/** The path cannot hold a database: no such folder, not a DuckDB file, read-only. */
export class DatabaseUnusableError extends ConfigError {}

/**
 * Opens (or creates) the database file, with one clear sentence for what the user can fix: a folder
 * that does not exist, a file that is not a DuckDB database, a path that cannot be written, a database
 * another process has open. Nothing is created when opening fails.
 */
export async function openDatabase(duckdb: DuckDBModule, path: string): Promise<DuckDBInstance> {
  const folder = dirname(resolve(path));
  const folderStat = await stat(folder).catch(() => undefined);
  if (folderStat === undefined) throw new DatabaseUnusableError(`Cannot create ${path}: the folder ${folder} does not exist`);
  if (!folderStat.isDirectory()) throw new DatabaseUnusableError(`Cannot create ${path}: ${folder} is not a folder`);
  try {
    return await duckdb.DuckDBInstance.create(path, SETTINGS);
  } catch (error) {
    throw openError(path, error);
  }
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
