import type { MessageWriter } from '../protocol/writer.js';
import { airbyteStreams } from '../records/index.js';
import { loadConfig } from './load-config.js';

/** Validates the config (a bad one fails with config_error), then prints the one CATALOG. */
export async function discover(options: { config: string }, writer: MessageWriter): Promise<void> {
  await loadConfig(options.config, writer);
  await writer.catalog(airbyteStreams());
}
