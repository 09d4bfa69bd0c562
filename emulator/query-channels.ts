import type { DataView } from './data-set.js';
import type { Entity } from './entities.js';
import { compileFilter, SCALAR, type Fields } from './filter.js';
import type { ChannelModel } from './models.js';
import { page, parse, querySchema, sortBy, type SortFields } from './query-request.js';
import { textKey } from './random.js';

// Query channels (POST /channels): the filter fields, operators and sort fields Stream documents, no others
// (stream-export-api.md §7.1). Per-user fields (hidden, muted, has_unread...) read as they would for a
// user with no state: false, and `joined` as absent (there is no user to have joined).

function channelFields(view: DataView): Fields<ChannelModel> {
  const lastMessageAt = (channel: ChannelModel) => view.lastMessageAt(channel);
  const no = () => false;
  return {
    cid: { kind: 'string', operators: SCALAR, get: (c) => c.cid },
    id: { kind: 'string', operators: SCALAR, get: (c) => c.id },
    type: { kind: 'string', operators: SCALAR, get: (c) => c.type },
    created_at: { kind: 'time', operators: SCALAR, get: (c) => c.createdAt },
    updated_at: { kind: 'time', operators: SCALAR, get: (c) => c.updatedAt },
    last_message_at: { kind: 'time', operators: SCALAR, get: lastMessageAt },
    last_updated: { kind: 'time', operators: SCALAR, get: (c) => lastUpdated(view, c) },
    created_by_id: { kind: 'string', operators: SCALAR, get: (c) => c.createdById },
    member_count: { kind: 'number', operators: SCALAR, get: (c) => c.members.length },
    message_count: { kind: 'number', operators: SCALAR, get: (c) => view.messageCount(c) },
    team: { kind: 'string', operators: SCALAR, get: () => undefined },
    frozen: { kind: 'boolean', operators: SCALAR, get: no },
    members: { kind: 'string', operators: ['$eq', '$in'], get: (c) => c.members.map((member) => member.userId) },
    disabled: { kind: 'boolean', operators: ['$eq'], get: no },
    hidden: { kind: 'boolean', operators: ['$eq'], get: no },
    muted: { kind: 'boolean', operators: ['$eq'], get: no },
    joined: { kind: 'boolean', operators: ['$eq'], get: () => undefined },
    has_unread: { kind: 'boolean', operators: ['$eq'], get: no },
  };
}

function lastUpdated(view: DataView, channel: ChannelModel): number {
  return Math.max(channel.updatedAt, view.lastMessageAt(channel) ?? 0);
}

function sortFields(view: DataView): SortFields<ChannelModel> {
  return {
    last_updated: (c) => lastUpdated(view, c),
    last_message_at: (c) => view.lastMessageAt(c),
    updated_at: (c) => c.updatedAt,
    created_at: (c) => c.createdAt,
    member_count: (c) => c.members.length,
    unread_count: () => 0,
    has_unread: () => false,
  };
}

export function queryChannels(view: DataView, body: unknown): { channels: Entity[] } {
  const request = parse(querySchema, body);
  const matches = compileFilter(request.filter_conditions ?? {}, channelFields(view));
  const found = view.allChannels().filter((channel) => channel.deletedAt === undefined && matches(channel));
  const sorted = sortBy(found, request.sort ?? [{ field: 'last_updated', direction: -1 }], sortFields(view), (c) => textKey(view.seed, c.cid));
  return {
    channels: page(sorted, request.limit, request.offset, { defaultLimit: 10, maxLimit: 30 }).map((channel) => ({
      channel: { ...view.channelEntity(channel), message_count: view.messageCount(channel) },
      members: [],
      messages: [],
      pinned_messages: [],
      read: [],
      watcher_count: 0,
    })),
  };
}
