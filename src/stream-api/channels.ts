import { chunk } from '../utils/chunk.js';
import { z } from 'zod';
import { SystemError } from '../errors.js';
import type { Log } from './api-transport.js';

/** A channel as query channels lists it: enough to place it in the plan. */
export interface ChannelSummary {
  cid: string;
  type: string;
  id: string;
  created_at: string;
  updated_at?: string;
  last_message_at?: string;
  /** Given by Stream only where the app counts messages. */
  message_count?: number;
}

export interface ChannelFilter {
  /** Every channel of these types; all types when absent or empty. */
  types?: string[];
  /** Exactly these channels (wins over types). */
  cids?: string[];
  /** More conditions, ANDed to the above (e.g. an `$or` on activity). Unknown cids are then not reported. */
  where?: Record<string, unknown>;
  /** Past this many channels in one listing it fails (default MAX_LISTED_CHANNELS). */
  maxListed?: number;
  /** Called once, after the listing, with the cids Stream does not know (also logged as a WARN). */
  onMissing?: (cids: string[]) => void;
}

export interface QueryChannelsBody {
  filter_conditions: Record<string, unknown>;
  sort: { field: string; direction: 1 | -1 }[];
  limit: number;
  offset: number;
  state: false;
  watch: false;
  presence: false;
}

export type QueryChannelsPage = (body: QueryChannelsBody, signal?: AbortSignal) => Promise<ChannelSummary[]>;

export const queryChannelsResponseSchema = z.looseObject({
  channels: z.array(
    z.looseObject({
      channel: z.looseObject({
        cid: z.string(),
        type: z.string(),
        id: z.string(),
        created_at: z.string(),
        updated_at: z.string().nullish(),
        last_message_at: z.string().nullish(),
        message_count: z.number().nullish(),
      }),
    }),
  ),
});

export const CHANNELS_PAGE_SIZE = 30;
const MAX_OFFSET = 1000;
/**
 * More channels than one listing may return: far past the apps Stream serves (10⁷ channels), and a
 * bound on a query channels that would page forever.
 */
export const MAX_LISTED_CHANNELS = 10_000_000;
const SORT: QueryChannelsBody['sort'] = [
  { field: 'created_at', direction: 1 },
  { field: 'cid', direction: 1 },
];

/**
 * Keyset paging, because Stream caps offset at 1000: each page asks for created_at ≥ the last one seen and
 * skips, by offset, the channels already returned at exactly that timestamp (a prefix in cid order).
 */
async function* keysetPages(query: QueryChannelsPage, base: Record<string, unknown>, maxListed: number, signal?: AbortSignal): AsyncGenerator<ChannelSummary> {
  let lastCreatedAt: string | undefined;
  let seenAtLast = new Set<string>();
  let listed = 0;
  for (;;) {
    const offset = seenAtLast.size;
    if (listed >= maxListed) {
      throw new SystemError(
        `QueryChannels listed ${listed} channels and still has more, past the ${maxListed} any app holds: stopped, this listing does not end`,
        {
          context: { endpoint: 'QueryChannels', listed },
        },
      );
    }
    if (offset > MAX_OFFSET) {
      throw new SystemError(`More than ${MAX_OFFSET} channels share created_at ${lastCreatedAt}: Stream cannot page past them`, {
        context: { endpoint: 'QueryChannels' },
      });
    }
    const filter_conditions = lastCreatedAt === undefined ? base : { ...base, created_at: { $gte: lastCreatedAt } };
    const page = await query({ filter_conditions, sort: SORT, limit: CHANNELS_PAGE_SIZE, offset, state: false, watch: false, presence: false }, signal);
    let fresh = 0;
    for (const channel of page) {
      if (channel.created_at === lastCreatedAt && seenAtLast.has(channel.cid)) continue;
      if (channel.created_at !== lastCreatedAt) {
        lastCreatedAt = channel.created_at;
        seenAtLast = new Set();
      }
      seenAtLast.add(channel.cid);
      fresh += 1;
      listed += 1;
      yield channel;
    }
    if (page.length < CHANNELS_PAGE_SIZE) return;
    if (fresh === 0) {
      throw new SystemError(`QueryChannels returned a full page of channels already listed (created_at ≥ ${lastCreatedAt})`, {
        context: { endpoint: 'QueryChannels' },
      });
    }
  }
}

/**
 * The channels the filter names, each once. Cids Stream does not know are not an error here: they are
 * reported (log + onMissing) and the caller decides; an export of one fails with a ConfigError anyway.
 */
export async function* listChannels(query: QueryChannelsPage, filter: ChannelFilter, log?: Log, signal?: AbortSignal): AsyncGenerator<ChannelSummary> {
  const where = filter.where ?? {};
  if (filter.cids === undefined || filter.cids.length === 0) {
    const base = filter.types !== undefined && filter.types.length > 0 ? { type: { $in: filter.types } } : {};
    yield* keysetPages(query, { ...where, ...base }, filter.maxListed ?? MAX_LISTED_CHANNELS, signal);
    return;
  }
  const missing = new Set(filter.cids);
  for (const cids of chunk([...missing], CHANNELS_PAGE_SIZE)) {
    for await (const channel of keysetPages(query, { ...where, cid: { $in: cids } }, filter.maxListed ?? MAX_LISTED_CHANNELS, signal)) {
      if (!missing.delete(channel.cid)) continue;
      yield channel;
    }
  }
  if (missing.size > 0 && filter.where === undefined) {
    await log?.('WARN', `Stream does not know these configured channels: ${[...missing].join(', ')}`);
    filter.onMissing?.([...missing]);
  }
}
