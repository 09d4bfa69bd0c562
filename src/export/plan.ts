import { ConfigError } from '../errors.js';
import type { ChannelExportRequest } from '../stream/client.js';
import { earliest, hoursBefore } from './timestamps.js';

export interface ChannelSelection {
  channel_ids?: string[] | undefined;
  channel_types?: string[] | undefined;
  exclude_channel_ids?: string[] | undefined;
}

export interface WindowInput {
  /** The cursor (or start_date) the window starts from, before the lookback; undefined: the beginning. */
  since: string | undefined;
  /** The instant the sync planned: every window of the sync ends here. */
  until: string;
  lookbackHours: number;
}

/** `type:id` → its parts; the id may itself contain colons. */
export function parseCid(cid: string): { type: string; id: string } {
  const colon = cid.indexOf(':');
  if (colon <= 0 || colon === cid.length - 1) throw new ConfigError(`"${cid}" is not a channel cid of the form type:id`);
  return { type: cid.slice(0, colon), id: cid.slice(colon + 1) };
}

/**
 * The export request of one channel. A window that would start after it ends (a cursor from the
 * future) becomes the empty window (until, until], so the channel and its members still come.
 */
export function channelWindow(cid: string, window: WindowInput): ChannelExportRequest {
  const since = window.since === undefined ? undefined : hoursBefore(window.since, window.lookbackHours);
  const request: ChannelExportRequest = { ...parseCid(cid), messages_until: window.until };
  if (since !== undefined) request.messages_since = earliest(since, window.until);
  return request;
}

/** Consecutive groups of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let start = 0; start < items.length; start += size) groups.push(items.slice(start, start + size));
  return groups;
}

/** The configured channels minus the excluded ones, or undefined when they must be listed from Stream. */
export function explicitChannels(selection: ChannelSelection): string[] | undefined {
  if (!selection.channel_ids?.length) return undefined;
  return withoutExcluded([...new Set(selection.channel_ids)], selection);
}

export function withoutExcluded(cids: string[], selection: ChannelSelection): string[] {
  const excluded = new Set(selection.exclude_channel_ids ?? []);
  return cids.filter((cid) => !excluded.has(cid));
}
