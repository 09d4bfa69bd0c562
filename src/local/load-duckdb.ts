import type * as DuckDB from '@duckdb/node-api';
import { ConfigError } from '../errors.js';

export type DuckDBModule = typeof DuckDB;

/**
 * DuckDB's Node client, loaded on first use: only `sync` needs it, and the Airbyte image leaves it
 * out (it is an optional dependency), so no other command may import it.
 */
export async function loadDuckDB(): Promise<DuckDBModule> {
  try {
    return await import('@duckdb/node-api');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new ConfigError(
      `sync needs DuckDB's bindings for ${process.platform}-${process.arch} (the optional dependency @duckdb/node-api), ` +
        'which this installation left out; install the package with its optional dependencies (npm install source-stream-chat)',
      { cause: error },
    );
  }
}
