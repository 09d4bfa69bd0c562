import { z } from 'zod';
import type { StreamDefinition } from './definition.js';
import { anyObject, anyObjects, decimal, flag, text, texts, timestamp } from './fields.js';

/** A Stream user (UserResponse) with its custom fields flattened beside the known ones. */
export const userRecord = z.looseObject({
  id: z.string(),
  role: text(),
  name: text(),
  image: text(),
  username: text(),
  language: text(),
  created_at: timestamp(),
  updated_at: timestamp(),
  last_active: timestamp(),
  last_engaged_at: timestamp(),
  deactivated_at: timestamp(),
  deleted_at: timestamp(),
  revoke_tokens_issued_before: timestamp(),
  banned: flag(),
  ban_expires: timestamp(),
  shadow_banned: flag(),
  blocked_user_ids: texts(),
  bypass_moderation: flag(),
  online: flag(),
  invisible: flag(),
  anon: flag(),
  teams: texts(),
  teams_role: z.record(z.string(), z.string()).nullish(),
  privacy_settings: anyObject(),
  push_notifications: anyObject(),
  devices: anyObjects(),
  avg_response_time: decimal(),
});

export type UserRecord = z.infer<typeof userRecord>;

/** A user object nested in another entity (a message's author, a member's user…). */
export const embeddedUser = () => userRecord.nullish();

export const users = { name: 'users', record: userRecord, primaryKey: [['id']] } satisfies StreamDefinition;
