import { ConfigError, TransientError } from '../errors.js';
import type { MessageWriter } from '../protocol/writer.js';
import { explicitChannels, selectionOf } from '../plan/selection.js';
import { loadConfig } from './load-config.js';

/**
 * CONNECTION_STATUS FAILED (exit 0) for anything the user must fix — the config, the credentials,
 * channel_ids that do not exist — and for a Stream that cannot be reached (a mistyped base_url looks
 * just like an outage). Anything else is thrown and becomes a TRACE ERROR.
 */
export async function check(options: { config: string }, writer: MessageWriter, signal: AbortSignal): Promise<void> {
  try {
    const problem = await connectionProblem(options.config, writer, signal);
    await writer.connectionStatus(problem === undefined ? 'SUCCEEDED' : 'FAILED', problem);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof TransientError)) throw error;
    await writer.connectionStatus('FAILED', error.message);
  }
}

async function connectionProblem(configPath: string, writer: MessageWriter, signal: AbortSignal): Promise<string | undefined> {
  const config = await loadConfig(configPath, writer);
  // Loaded only for a valid config: a bad one is answered without paying for the HTTP stack.
  const { StreamApiClient } = await import('../stream-api/client.js');
  const client = new StreamApiClient({
    apiKey: config.api_key,
    apiSecret: config.api_secret,
    baseUrl: config.base_url,
    onLog: (level, message) => writer.log(level, message),
    // A check answers within Airbyte's one-minute limit rather than riding out an outage.
    retry: { limit: 1 },
  });
  try {
    await client.checkAuth(signal);
    // Query channels never lists soft-deleted channels: when they are wanted, their export says whether they exist.
    const configured = config.include_soft_deleted_channels ? [] : (explicitChannels(selectionOf(config)) ?? []);
    const missing = await client.missingChannels(configured, signal);
    return missing.length === 0 ? undefined : `These channel_ids do not exist in the Stream app: ${missing.join(', ')}`;
  } finally {
    await client.close();
  }
}
