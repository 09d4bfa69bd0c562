import { ConfigError, SystemError } from '../errors.js';
import type { ChannelQuery, ListingPlan } from '../plan/listing.js';
import type { Selection } from '../plan/selection.js';
import { covers, parseCid } from '../plan/selection.js';
import type { ChannelSummary } from '../stream-api/channels.js';
import type { SyncClient } from './export-job.js';

/**
 * Runs the listing plan's queries: each selected channel once, in ascending cid order, as it comes.
 * Each query lists in cid order, so their channels are merged as they arrive (nothing is held but a
 * page per query). Configured channels Stream does not know fail the sync (check channel_ids); lagging
 * ones it no longer knows are dropped with a WARN.
 */
export async function* listSelectedChannels(
  client: SyncClient,
  listing: ListingPlan,
  selection: Selection,
  warn: (message: string) => unknown,
  signal: AbortSignal,
): AsyncGenerator<ChannelSummary> {
  const sources = listing.queries.map((query) => runQuery(client, query, warn, signal));
  for await (const channel of mergeByCid(sources)) if (covers(selection, channel.cid)) yield channel;
}

async function* runQuery(client: SyncClient, query: ChannelQuery, warn: (message: string) => unknown, signal: AbortSignal): AsyncGenerator<ChannelSummary> {
  if (query.direct) {
    for (const cid of [...(query.filter.cids ?? [])].sort()) yield { cid, ...parseCid(cid), created_at: '' };
    return;
  }
  let missing: string[] = [];
  yield* client.listChannels({ ...query.filter, onMissing: (cids) => (missing = cids) }, signal);
  if (missing.length === 0) return;
  if (query.expected === 'configured') {
    throw new ConfigError(`Stream has no channel ${missing.join(', ')}: check channel_ids in the config`, { context: { cids: missing } });
  }
  await warn(`Lagging channel(s) Stream no longer lists, dropped: ${missing.join(', ')}`);
}

/** Streams of channels in ascending cid order merged into one, each cid once. */
async function* mergeByCid(sources: AsyncGenerator<ChannelSummary>[]): AsyncGenerator<ChannelSummary> {
  try {
    const heads = await Promise.all(sources.map((source) => source.next()));
    let last: string | undefined;
    for (let next = lowest(heads); next !== undefined; next = lowest(heads)) {
      const source = sources[next.index] as AsyncGenerator<ChannelSummary>;
      const following = await source.next();
      heads[next.index] = following;
      if (following.done !== true && following.value.cid < next.channel.cid) {
        throw new SystemError(`The listing of channels went back from ${next.channel.cid} to ${following.value.cid}: it must come in cid order`);
      }
      if (next.channel.cid !== last) yield next.channel;
      last = next.channel.cid;
    }
  } finally {
    await Promise.all(sources.map((source) => source.return(undefined)));
  }
}

/** The source whose next channel has the lowest cid, and that channel; undefined when all are done. */
function lowest(heads: ReadonlyArray<IteratorResult<ChannelSummary>>): { index: number; channel: ChannelSummary } | undefined {
  let found: { index: number; channel: ChannelSummary } | undefined;
  heads.forEach((head, index) => {
    if (head.done !== true && (found === undefined || head.value.cid < found.channel.cid)) found = { index, channel: head.value };
  });
  return found;
}
