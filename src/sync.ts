// Placeholder with the final signature; replaced by the sync implementation (issue 5).
import type { Config } from './config.js';
import { SystemError } from './errors.js';
import type { MessageWriter } from './protocol/writer.js';

export interface ConfiguredStream {
  name: string;
  syncMode: 'full_refresh' | 'incremental';
}

export interface SyncInput {
  config: Config;
  /** The streams of the configured catalog, in catalog order, names already checked against ours. */
  streams: ConfiguredStream[];
  /** stream name → its stream_state from the state file (absent: no state). */
  state: Map<string, Record<string, unknown>>;
  writer: MessageWriter;
  signal: AbortSignal;
}

export async function runSync(_input: SyncInput): Promise<void> {
  throw new SystemError('read is not implemented yet');
}
