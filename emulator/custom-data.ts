import type { EntityType } from './data-set.js';
import type { Entity } from './entities.js';

/**
 * Where an entity carries its custom data: 'flat', at the top level beside Stream's own fields (what
 * Stream's older SDKs and issue threads show on the wire), or 'nested', in a `custom` object (what
 * Stream's OpenAPI spec describes). Nothing we have settles which one a server-side key gets.
 */
export type CustomData = 'flat' | 'nested';

const words = (text: string) => new Set(text.split(' '));

// The properties of ChannelResponse, UserResponse ∪ FullUserResponse, ChannelMemberResponse,
// MessageResponse and ReactionResponse in Stream's OpenAPI spec (v236), `custom` aside: any other key
// of an entity is custom data. Users also keep `last_engaged_at`, which real payloads carry though
// the spec does not list it.
const OWN: Readonly<Record<EntityType, ReadonlySet<string>>> = {
  channel: words(
    'auto_translation_enabled auto_translation_language blocked cid config cooldown created_at created_by deleted_at disabled filter_tags frozen hidden ' +
      'hide_messages_before id last_message_at member_count members message_count mute_expires_at muted own_capabilities team truncated_at truncated_by type updated_at',
  ),
  user: words(
    'avg_response_time ban_expires banned blocked_user_ids bypass_moderation channel_mutes created_at deactivated_at deleted_at devices id image invisible ' +
      'language last_active latest_hidden_channels mutes name online privacy_settings push_notifications revoke_tokens_issued_before role shadow_banned teams ' +
      'teams_role total_unread_count unread_channels unread_count unread_threads updated_at last_engaged_at',
  ),
  member: words(
    'archived_at ban_expires ban_from_future_channels banned channel_role created_at deleted_at deleted_messages future_channel_ban_expires ' +
      'invite_accepted_at invite_rejected_at invited is_moderator notifications_muted pinned_at role shadow_banned status updated_at user user_id',
  ),
  message: words(
    'attachments cid command created_at deleted_at deleted_for_me deleted_reply_count draft html i18n id image_labels latest_reactions member ' +
      'mentioned_channel mentioned_group_ids mentioned_groups mentioned_here mentioned_roles mentioned_users message_text_updated_at mml moderation ' +
      'own_reactions parent_id pin_expires pinned pinned_at pinned_by poll poll_id quoted_message quoted_message_id reaction_counts reaction_groups ' +
      'reaction_scores reminder reply_count restricted_visibility shadowed shared_location show_in_channel silent text thread_participants type updated_at user',
  ),
  reaction: words('created_at message_id score type updated_at user user_id'),
};

/** Own fields that hold other entities, which carry their custom data the same way. */
const INNER: Readonly<Record<string, EntityType>> = {
  user: 'user',
  created_by: 'user',
  truncated_by: 'user',
  pinned_by: 'user',
  mentioned_users: 'user',
  thread_participants: 'user',
  members: 'member',
  latest_reactions: 'reaction',
  own_reactions: 'reaction',
  quoted_message: 'message',
};

/**
 * The entity (and the entities inside it) with its custom data carried as `shape` says: Stream's own
 * fields first, in their order, then the custom fields (flat) or one `custom` object (nested, `{}`
 * when there is none, as the spec requires it).
 */
export function carryCustom(kind: EntityType, entity: Entity, shape: CustomData): Entity {
  const own: Entity = {};
  const custom: Entity = {};
  for (const [key, value] of Object.entries(entity)) {
    if (!OWN[kind].has(key)) custom[key] = value;
    else own[key] = Object.hasOwn(INNER, key) ? carryInner(INNER[key] as EntityType, value, shape) : value;
  }
  return shape === 'flat' ? { ...own, ...custom } : { ...own, custom };
}

function carryInner(kind: EntityType, value: unknown, shape: CustomData): unknown {
  if (Array.isArray(value)) return value.map((item) => carryInner(kind, item, shape));
  if (typeof value === 'object' && value !== null) return carryCustom(kind, value as Entity, shape);
  return value;
}
