import type { Config } from '../config.js';
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
  const [{ runSync }, { markingSoftDeletions }, client] = await Promise.all([
    import('../sync/run-sync.js'),
    import('../sync/soft-deletions.js'),
    streamApiClient(
      config,
      writer,
      streams.map((stream) => stream.name),
    ),
  ]);
  try {
    const out = config.mark_soft_deletions ? markingSoftDeletions(writer) : writer;
    await runSync({ config, streams, state, writer: out, client, signal });
  } finally {
    await client.close();
  }
}

/** The Stream client of a read (or a sync): its retries and rate-limit waits reported as logs and statuses. */
export async function streamApiClient(config: Config, writer: Pick<MessageWriter, 'log' | 'streamStatus'>, names: readonly string[]) {
  const { StreamApiClient } = await import('../stream-api/client.js');
  return new StreamApiClient({
    apiKey: config.api_key,
    apiSecret: config.api_secret,
    baseUrl: config.base_url,
    exportsPerMinute: config.max_exports_per_minute,
    apiBudgetShare: config.api_budget_share,
    queryUsersShare: config.query_users_share,
    onLog: (level, message) => writer.log(level, message),
    onRateLimit: async (wait) => {
      const what = wait.reason === 'budget' ? "Stream refused a query: the app's API budget is spent" : 'Rate limited by Stream';
      await writer.log('WARN', `${what} on ${wait.endpoint}: waiting ${Math.ceil(wait.waitMs / 1000)} s, until ${wait.resetAt.toISOString()}`);
      for (const name of names) await writer.streamStatus(name, 'RUNNING', wait.resetAt);
    },
  });
}
