import { ConfigError } from '../errors.js';
import type { ChannelExportRequest } from '../stream/client.js';
import { earliest } from './timestamps.js';

export interface ChannelSelection {
  channel_ids?: string[] | undefined;
  channel_types?: string[] | undefined;
  exclude_channel_ids?: string[] | undefined;
  include_soft_deleted_channels?: boolean | undefined;
}

/** `type:id` → its parts; the id may itself contain colons. */
export function parseCid(cid: string): { type: string; id: string } {
  const colon = cid.indexOf(':');
  if (colon <= 0 || colon === cid.length - 1) throw new ConfigError(`"${cid}" is not a channel cid of the form type:id`);
  return { type: cid.slice(0, colon), id: cid.slice(colon + 1) };
}

/**
 * The export request of one channel: messages created in (since, until]. A window that would start
 * after it ends (a cursor from the future) becomes the empty window (until, until], so the channel and
 * its members still come.
 */
export function channelWindow(cid: string, since: string | undefined, until: string): ChannelExportRequest {
  const request: ChannelExportRequest = { ...parseCid(cid), messages_until: until };
  if (since !== undefined) request.messages_since = earliest(since, until);
  return request;
}

/** The configured channels minus the excluded ones, or undefined when they must be listed from Stream. */
export function explicitChannels(selection: ChannelSelection): string[] | undefined {
  if (!selection.channel_ids?.length) return undefined;
  return withoutExcluded([...new Set(selection.channel_ids)], selection);
}

/**
 * The configured channels whose existence query channels can confirm: none when soft-deleted channels
 * are wanted, since it never lists them (their export then says whether they exist).
 */
export function verifiableChannels(selection: ChannelSelection): string[] {
  return selection.include_soft_deleted_channels ? [] : (explicitChannels(selection) ?? []);
}

export function withoutExcluded(cids: string[], selection: ChannelSelection): string[] {
  const excluded = new Set(selection.exclude_channel_ids ?? []);
  return cids.filter((cid) => !excluded.has(cid));
}
