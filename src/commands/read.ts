import { readCatalogFile, readStateFile } from '../protocol/inputs.js';
import type { MessageWriter } from '../protocol/writer.js';
import { loadConfig } from './load-config.js';

export interface ReadOptions {
  config: string;
  catalog: string;
  state?: string;
}

/**
 * Every input is read and checked before the sync starts, so bad input fails before any request
 * (and before the export pipeline is even loaded).
 */
export async function read(options: ReadOptions, writer: MessageWriter, signal: AbortSignal): Promise<void> {
  const config = await loadConfig(options.config, writer);
  const streams = await readCatalogFile(options.catalog);
  const state = await readStateFile(options.state);
  const { runSync } = await import('../sync.js');
  await runSync({ config, streams, state, writer, signal });
}
