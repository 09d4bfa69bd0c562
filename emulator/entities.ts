import { carryCustom } from './custom-data.js';
import { BASE } from './generated.js';
import type { ChannelModel, MemberModel, MessageModel, ReactionModel, UserModel } from './models.js';
import { formatMicros, type Micros } from './time.js';

// Stream's JSON shapes (stream-export-api.md §5.2, §6): custom fields flat at the top level, optional
// fields omitted when empty, and the few fields real payloads send as explicit nulls.

export type Entity = Record<string, unknown>;

const CONFIG_CREATED_AT = formatMicros(BASE - 400 * 86_400_000_000);

// Users are embedded in every message, member and reaction; their formatted shape is built once per model.
const userTemplates = new WeakMap<UserModel, Entity>();

export function userEntity(user: UserModel): Entity {
  let template = userTemplates.get(user);
  if (!template) {
    template = buildUserEntity(user);
    userTemplates.set(user, template);
  }
  return { ...template, blocked_user_ids: [], teams: [] };
}

/**
 * A user as query users lists them (FullUserResponse): the entity plus the per-user state a server-side
 * key reads as empty, before the custom fields.
 */
export function fullUserEntity(user: UserModel): Entity {
  const full = {
    ...userEntity(user),
    devices: [],
    mutes: [],
    channel_mutes: [],
    unread_count: 0,
    total_unread_count: 0,
    unread_channels: 0,
    unread_threads: 0,
  };
  return carryCustom('user', full, 'flat');
}

function buildUserEntity(user: UserModel): Entity {
  const lastActive = user.lastActive === undefined ? undefined : formatMicros(user.lastActive);
  const entity: Entity = {
    id: user.id,
    role: user.role,
    created_at: formatMicros(user.createdAt),
    updated_at: formatMicros(user.updatedAt),
    last_active: lastActive,
    banned: user.banned ?? false,
    online: false,
    invisible: false,
    shadow_banned: false,
    blocked_user_ids: [],
    teams: [],
    language: 'en',
    last_engaged_at: lastActive,
    name: user.name,
  };
  // Stream omits what a user lacks rather than sending null.
  if (lastActive === undefined) {
    delete entity.last_active;
    delete entity.last_engaged_at;
  }
  if (user.deactivatedAt !== undefined) entity.deactivated_at = formatMicros(user.deactivatedAt);
  if (user.deletedAt !== undefined) entity.deleted_at = formatMicros(user.deletedAt);
  // `image` is Stream's own field even when set by updateUser: it goes before the custom fields.
  const { image = user.image, ...custom } = user.fields ?? {};
  if (image !== undefined) entity.image = image;
  if (user.favoriteColor !== undefined) entity.favorite_color = user.favoriteColor;
  return { ...entity, ...custom };
}

function channelConfig(type: string): Entity {
  return {
    name: type,
    typing_events: true,
    read_events: true,
    connect_events: type !== 'livestream',
    delivery_events: false,
    search: true,
    reactions: true,
    replies: true,
    quotes: true,
    mutes: true,
    uploads: true,
    url_enrichment: true,
    custom_events: true,
    push_notifications: true,
    reminders: false,
    mark_messages_pending: false,
    polls: false,
    user_message_reminders: false,
    shared_locations: false,
    count_messages: type !== 'livestream',
    skip_last_msg_update_for_system_msgs: false,
    message_retention: 'infinite',
    max_message_length: 5000,
    automod: 'disabled',
    automod_behavior: 'flag',
    commands: [{ name: 'giphy', description: 'Post a random gif to the channel', args: '[text]', set: 'fun_set' }],
    created_at: CONFIG_CREATED_AT,
    updated_at: CONFIG_CREATED_AT,
  };
}

export interface ChannelFacts {
  createdBy: UserModel;
  memberCount: number;
  lastMessageAt: Micros | undefined;
}

export function channelEntity(channel: ChannelModel, facts: ChannelFacts): Entity {
  const entity: Entity = {
    id: channel.id,
    type: channel.type,
    cid: channel.cid,
    created_at: formatMicros(channel.createdAt),
    updated_at: formatMicros(channel.updatedAt),
    created_by: userEntity(facts.createdBy),
    frozen: false,
    disabled: false,
    member_count: facts.memberCount,
    config: channelConfig(channel.type),
  };
  if (facts.lastMessageAt !== undefined) entity.last_message_at = formatMicros(facts.lastMessageAt);
  if (channel.deletedAt !== undefined) entity.deleted_at = formatMicros(channel.deletedAt);
  if (channel.truncatedAt !== undefined) entity.truncated_at = formatMicros(channel.truncatedAt);
  return { ...entity, ...channel.fields };
}

export function memberEntity(member: MemberModel, user: UserModel): Entity {
  const at = formatMicros(member.createdAt);
  return {
    user_id: member.userId,
    user: userEntity(user),
    status: 'member',
    created_at: at,
    updated_at: at,
    banned: false,
    shadow_banned: false,
    archived_at: null,
    pinned_at: null,
    role: member.role,
    channel_role: 'channel_member',
    notifications_muted: false,
  };
}

export function reactionEntity(reaction: ReactionModel, user: UserModel): Entity {
  return {
    message_id: reaction.messageId,
    user_id: reaction.userId,
    user: userEntity(user),
    type: reaction.type,
    score: reaction.score,
    created_at: formatMicros(reaction.createdAt),
    updated_at: formatMicros(reaction.updatedAt),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
}

export interface MessageFacts {
  user: UserModel;
  /** All reactions of the message, any order; `users` resolves their authors. */
  reactions: ReactionModel[];
  users: (id: string) => UserModel;
  clearDeletedText: boolean;
}

export function messageEntity(message: MessageModel, facts: MessageFacts): Entity {
  const text = message.type === 'deleted' && facts.clearDeletedText ? '' : message.text;
  const latest = [...facts.reactions].sort((a, b) => b.createdAt - a.createdAt).slice(0, 10);
  const counts: Record<string, number> = {};
  const scores: Record<string, number> = {};
  const groups: Record<string, Entity> = {};
  for (const reaction of facts.reactions) {
    counts[reaction.type] = (counts[reaction.type] ?? 0) + 1;
    scores[reaction.type] = (scores[reaction.type] ?? 0) + reaction.score;
  }
  for (const type of Object.keys(counts)) {
    const ofType = latest.filter((reaction) => reaction.type === type);
    const times = facts.reactions.filter((reaction) => reaction.type === type).map((reaction) => reaction.createdAt);
    groups[type] = {
      count: counts[type],
      sum_scores: scores[type],
      first_reaction_at: formatMicros(Math.min(...times)),
      last_reaction_at: formatMicros(Math.max(...times)),
      latest_reactions_by: ofType.map((reaction) => ({ user_id: reaction.userId, created_at: formatMicros(reaction.createdAt) })),
    };
  }
  const entity: Entity = {
    id: message.id,
    text,
    html: text === '' ? '' : `<p>${escapeHtml(text)}</p>\n`,
    type: message.type,
    user: userEntity(facts.user),
    cid: message.cid,
    attachments: [],
    latest_reactions: latest.map((reaction) => reactionEntity(reaction, facts.users(reaction.userId))),
    own_reactions: [],
    reaction_counts: counts,
    reaction_scores: scores,
    reaction_groups: facts.reactions.length === 0 ? null : groups,
    reply_count: message.replyCount,
    deleted_reply_count: 0,
    created_at: formatMicros(message.createdAt),
    updated_at: formatMicros(message.updatedAt),
    shadowed: false,
    mentioned_users: [],
    mentioned_channel: false,
    mentioned_here: false,
    silent: false,
    pinned: false,
    pinned_at: null,
    pinned_by: null,
    pin_expires: null,
    restricted_visibility: [],
  };
  if (message.deletedAt !== undefined) entity.deleted_at = formatMicros(message.deletedAt);
  if (message.textUpdatedAt !== undefined) entity.message_text_updated_at = formatMicros(message.textUpdatedAt);
  if (message.parentId !== undefined) {
    entity.parent_id = message.parentId;
    entity.show_in_channel = false;
  }
  if (message.source !== undefined) entity.source = message.source;
  return entity;
}
