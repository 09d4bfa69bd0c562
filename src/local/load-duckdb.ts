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
    throw new ConfigError((process.env.AIRBYTE_ENTRYPOINT ?? '') === '' ? PARTIAL_INSTALL : IN_IMAGE, { cause: error });
  }
}

const PARTIAL_INSTALL =
  `sync needs DuckDB's bindings for ${process.platform}-${process.arch} (the optional dependency @duckdb/node-api), ` +
  'which this installation left out; install the package with its optional dependencies (npm install source-stream-chat)';

// The Airbyte image sets AIRBYTE_ENTRYPOINT, and nothing can be installed into it.
const IN_IMAGE =
  'sync (local DuckDB mode) is not part of this image, which runs the Airbyte protocol commands (spec, check, discover, read); ' +
  'run it with `npx source-stream-chat sync …` on a machine with the package installed';
