import { ConfigError, SystemError } from '../errors.js';
import type { ChannelQuery, ListingPlan } from '../plan/listing.js';
import type { Selection } from '../plan/selection.js';
import { covers, parseCid } from '../plan/selection.js';
import { compareCreated, createdOf, type ChannelSummary, type UnlistedGroup } from '../stream-api/channels.js';
import type { Instant } from '../utils/instant.js';
import type { SyncClient } from './export-job.js';

export interface ListingHandlers {
  warn: (message: string) => unknown;
  /** A group of channels no documented filter separates: not listed (the sync fails once the rest is done). */
  unlisted: (group: UnlistedGroup) => unknown;
}

/**
 * Runs the listing plan's queries: each selected channel once, in ascending `created_at`, as it comes.
 * Each query lists in that order, so their channels are merged as they arrive (nothing is held but a
 * page per query and the cids of one instant). Configured channels Stream does not know fail the sync
 * (check channel_ids); lagging ones it no longer knows are dropped with a WARN.
 */
export async function* listSelectedChannels(
  client: SyncClient,
  listing: ListingPlan,
  selection: Selection,
  handlers: ListingHandlers,
  signal: AbortSignal,
): AsyncGenerator<ChannelSummary> {
  const sources = listing.queries.map((query) => runQuery(client, query, handlers, signal));
  for await (const channel of mergeByCreated(sources)) if (covers(selection, channel.cid)) yield channel;
}

async function* runQuery(client: SyncClient, query: ChannelQuery, handlers: ListingHandlers, signal: AbortSignal): AsyncGenerator<ChannelSummary> {
  if (query.direct) {
    // Not asked of Stream, so no created_at: they come first.
    for (const cid of query.filter.cids ?? []) yield { cid, ...parseCid(cid) };
    return;
  }
  let missing: string[] = [];
  yield* client.listChannels({ ...query.filter, onMissing: (cids) => (missing = cids), onUnlisted: handlers.unlisted }, signal);
  if (missing.length === 0) return;
  if (query.expected === 'configured') {
    throw new ConfigError(`Stream has no channel ${missing.join(', ')}: check channel_ids in the config`, { context: { cids: missing } });
  }
  await handlers.warn(`Lagging channel(s) Stream no longer lists, dropped: ${missing.join(', ')}`);
}

interface Head {
  channel: ChannelSummary;
  /** Its created_at; undefined for a channel named and not asked of Stream, which comes first. */
  created: Instant | undefined;
}

/** Streams of channels in ascending `created_at` merged into one, each cid once (a cid two streams give shares its instant). */
async function* mergeByCreated(sources: AsyncGenerator<ChannelSummary>[]): AsyncGenerator<ChannelSummary> {
  const heads: (Head | undefined)[] = [];
  const advance = async (index: number) => {
    const next = await (sources[index] as AsyncGenerator<ChannelSummary>).next();
    const before = heads[index];
    const head = next.done === true ? undefined : { channel: next.value, created: createdOf(next.value) };
    if (head !== undefined && before !== undefined && compareCreated(head.created, before.created) < 0) {
      throw new SystemError(`The listing of channels went back from ${before.channel.cid} to ${head.channel.cid}: it must come in created_at order`);
    }
    heads[index] = head;
  };
  try {
    await Promise.all(sources.map((_source, index) => advance(index)));
    let instant: Instant | undefined;
    let given = new Set<string>();
    for (let index = lowest(heads); index !== undefined; index = lowest(heads)) {
      const { channel, created } = heads[index] as Head;
      if (compareCreated(created, instant) !== 0) [instant, given] = [created, new Set()];
      if (!given.has(channel.cid)) yield channel;
      given.add(channel.cid);
      await advance(index);
    }
  } finally {
    await Promise.all(sources.map((source) => source.return(undefined)));
  }
}

/** The source whose next channel was created first; undefined when all are done. */
function lowest(heads: ReadonlyArray<Head | undefined>): number | undefined {
  let found: number | undefined;
  heads.forEach((head, index) => {
    if (head !== undefined && (found === undefined || compareCreated(head.created, (heads[found] as Head).created) < 0)) found = index;
  });
  return found;
}
