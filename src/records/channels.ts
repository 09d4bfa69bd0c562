import { z } from 'zod';
import type { StreamDefinition } from './definition.js';
import { anyObject, anyObjects, anyValues, flag, integer, text, texts, timestamp } from './fields.js';
import { embeddedUser } from './users.js';

/** A channel (ChannelResponse) with its custom fields flattened beside the known ones. */
export const channelRecord = z.looseObject({
  cid: z.string(),
  id: text(),
  type: text(),
  name: text(),
  image: text(),
  team: text(),
  disabled: flag(),
  frozen: flag(),
  created_at: timestamp(),
  updated_at: timestamp(),
  deleted_at: timestamp(),
  last_message_at: timestamp(),
  created_by: embeddedUser(),
  created_by_id: text(),
  member_count: integer(),
  message_count: integer(),
  members: anyObjects(),
  config: anyObject(),
  cooldown: integer(),
  filter_tags: texts(),
  truncated_at: timestamp(),
  truncated_by: embeddedUser(),
  truncated_by_id: text(),
  hide_messages_before: timestamp(),
  hidden: flag(),
  muted: flag(),
  mute_expires_at: timestamp(),
  blocked: flag(),
  joined: flag(),
  invites: anyValues(),
  own_capabilities: texts(),
  auto_translation_enabled: flag(),
  auto_translation_language: text(),
});

export const channels = { name: 'channels', record: channelRecord, primaryKey: [['cid']] } satisfies StreamDefinition;
