import { ConfigError } from '../errors.js';
import type { ListingPlan } from '../plan/listing.js';
import type { Selection } from '../plan/selection.js';
import { covers, parseCid } from '../plan/selection.js';
import type { ChannelSummary } from '../stream-api/channels.js';
import type { SyncClient } from './export-job.js';

/**
 * Runs the listing plan's queries: each selected channel once, as it comes (nothing is held but the
 * cids already seen when several queries may list the same channel). Configured channels Stream
 * does not know fail the sync (check channel_ids); lagging ones it no longer knows are dropped with
 * a WARN.
 */
export async function* listSelectedChannels(
  client: SyncClient,
  listing: ListingPlan,
  selection: Selection,
  warn: (message: string) => unknown,
  signal: AbortSignal,
): AsyncGenerator<ChannelSummary> {
  const seen = listing.queries.length > 1 ? new Set<string>() : undefined;
  const fresh = (cid: string) => {
    if (seen === undefined) return true;
    if (seen.has(cid)) return false;
    seen.add(cid);
    return true;
  };
  for (const query of listing.queries) {
    if (query.direct) {
      for (const cid of query.filter.cids ?? []) if (fresh(cid)) yield { cid, ...parseCid(cid), created_at: '' };
      continue;
    }
    let missing: string[] = [];
    for await (const channel of client.listChannels({ ...query.filter, onMissing: (cids) => (missing = cids) }, signal)) {
      if (covers(selection, channel.cid) && fresh(channel.cid)) yield channel;
    }
    if (missing.length === 0) continue;
    if (query.expected === 'configured') {
      throw new ConfigError(`Stream has no channel ${missing.join(', ')}: check channel_ids in the config`, { context: { cids: missing } });
    }
    await warn(`Lagging channel(s) Stream no longer lists, dropped: ${missing.join(', ')}`);
  }
}
