import { z } from 'zod';
import { carryCustom, type CustomData } from './custom-data.js';
import type { DataView } from './data-set.js';
import type { Entity } from './entities.js';
import { compileFilter, type Fields, type Operator } from './filter.js';
import type { ChannelModel } from './models.js';
import { page, parse, querySchema, sortBy, type SortFields } from './query-request.js';
import type { QueryTurn } from './query-turns.js';
import { textKey } from './random.js';

// Query channels (POST /channels): the filter fields, operators and sort fields of Stream's docs page, no
// others (stream-export-api.md §7.1): `id` and `message_count` are not filterable there, `cid` takes no
// range. Per-user fields (hidden, muted, has_unread...) read as they would for a user with no state:
// false, and `joined` as absent (there is no user to have joined).

const INSTANT: readonly Operator[] = ['$eq', '$gt', '$lt', '$gte', '$lte', '$exists'];
const RANGE: readonly Operator[] = ['$eq', '$gt', '$lt', '$gte', '$lte'];
const ONE_OF: readonly Operator[] = ['$in', '$eq'];
const EQ: readonly Operator[] = ['$eq'];

function channelFields(view: DataView): Fields<ChannelModel> {
  const no = () => false;
  const absent = () => undefined;
  return {
    cid: { kind: 'string', operators: ONE_OF, get: (c) => c.cid },
    type: { kind: 'string', operators: ONE_OF, get: (c) => c.type },
    created_at: { kind: 'time', operators: INSTANT, get: (c) => c.createdAt },
    last_message_at: { kind: 'time', operators: INSTANT, get: (c) => view.lastMessageAt(c) },
    updated_at: { kind: 'time', operators: RANGE, get: (c) => c.updatedAt },
    last_updated: { kind: 'time', operators: RANGE, get: (c) => lastUpdated(view, c) },
    member_count: { kind: 'number', operators: RANGE, get: (c) => c.members.length },
    members: { kind: 'string', operators: ['$in'], get: (c) => c.members.map((member) => member.userId) },
    'member.user.name': { kind: 'string', operators: ['$autocomplete', '$eq'], get: (c) => c.members.map((member) => view.user(member.userId)?.name ?? '') },
    frozen: { kind: 'boolean', operators: EQ, get: no },
    disabled: { kind: 'boolean', operators: EQ, get: no },
    hidden: { kind: 'boolean', operators: EQ, get: no },
    muted: { kind: 'boolean', operators: EQ, get: no },
    joined: { kind: 'boolean', operators: EQ, get: absent },
    invite: { kind: 'string', operators: EQ, get: absent },
    team: { kind: 'string', operators: EQ, get: absent },
    created_by_id: { kind: 'string', operators: EQ, get: (c) => c.createdById },
    has_unread: { kind: 'boolean', operators: EQ, get: no },
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

const channelsSchema = querySchema.extend({
  state: z.boolean().optional(),
  message_limit: z.number().int().min(0).max(300).optional(),
  member_limit: z.number().int().min(0).max(100).optional(),
});

export function queryChannels(view: DataView, body: unknown, turn: QueryTurn, shape: CustomData): { channels: Entity[] } {
  const request = parse(channelsSchema, body);
  // Stream's default is state: true (stream-export-api.md §7.1); members and messages stay empty without it.
  const state = request.state ?? true;
  const limits = { members: request.member_limit ?? 100, messages: request.message_limit ?? 25 };
  const matches = compileFilter(request.filter_conditions ?? {}, channelFields(view));
  const found = view.allChannels().filter((channel) => channel.deletedAt === undefined && matches(channel));
  const sort = request.sort ?? [{ field: 'last_updated', direction: -1 }];
  const sorted = sortBy(found, sort, sortFields(view), (c) => textKey(turn.tieSalt, c.cid));
  return {
    channels: page(sorted, request, { defaultLimit: 10, maxLimit: 30 }, turn).map((channel) => {
      const { members, messages } = state ? view.channelState(channel, limits) : { members: [], messages: [] };
      return {
        channel: carryCustom('channel', { ...view.channelEntity(channel), message_count: view.messageCount(channel) }, shape),
        members: members.map((member) => carryCustom('member', member, shape)),
        messages: messages.map((message) => carryCustom('message', message, shape)),
        pinned_messages: [],
        read: [],
        threads: [],
        watcher_count: 0,
      };
    }),
  };
}
