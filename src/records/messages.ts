import { z } from 'zod';
import type { StreamDefinition } from './definition.js';
import { anyObject, anyObjects, countsByType, flag, integer, text, texts, timestamp } from './fields.js';
import { nestedReaction } from './reactions.js';
import { embeddedUser, userRecord } from './users.js';

/** A message (MessageResponse) with its custom fields flattened beside the known ones. */
export const messageRecord = z.looseObject({
  id: z.string(),
  cid: z.string(),
  type: text(),
  user: embeddedUser(),
  user_id: text(),
  text: text(),
  html: text(),
  mml: text(),
  attachments: anyObjects(),
  command: text(),
  args: text(),
  i18n: anyObject(),
  created_at: timestamp(),
  updated_at: timestamp(),
  deleted_at: timestamp(),
  message_text_updated_at: timestamp(),
  parent_id: text(),
  show_in_channel: flag(),
  reply_count: integer(),
  deleted_reply_count: integer(),
  thread_participants: z.array(userRecord).nullish(),
  quoted_message_id: text(),
  quoted_message: anyObject(),
  latest_reactions: z.array(nestedReaction).nullish(),
  own_reactions: z.array(nestedReaction).nullish(),
  reaction_counts: countsByType(),
  reaction_scores: countsByType(),
  reaction_groups: anyObject(),
  mentioned_users: z.array(userRecord).nullish(),
  mentioned_channel: flag(),
  mentioned_here: flag(),
  mentioned_roles: texts(),
  mentioned_group_ids: texts(),
  pinned: flag(),
  pinned_at: timestamp(),
  pinned_by: embeddedUser(),
  pin_expires: timestamp(),
  silent: flag(),
  shadowed: flag(),
  restricted_visibility: texts(),
  deleted_for_me: flag(),
  status: text(),
  poll_id: text(),
  poll: anyObject(),
  shared_location: anyObject(),
  reminder: anyObject(),
  member: anyObject(),
  moderation: anyObject(),
});

export const messages = { name: 'messages', record: messageRecord, primaryKey: [['id']] } satisfies StreamDefinition;
