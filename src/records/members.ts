import { z } from 'zod';
import type { StreamDefinition } from './definition.js';
import { flag, text, timestamp } from './fields.js';
import { embeddedUser } from './users.js';

/** A channel member (ChannelMemberResponse) plus the `cid` of its channel. */
export const memberRecord = z.looseObject({
  cid: z.string(),
  user_id: z.string(),
  user: embeddedUser(),
  role: text(),
  channel_role: text(),
  is_moderator: flag(),
  status: text(),
  invited: flag(),
  invite_accepted_at: timestamp(),
  invite_rejected_at: timestamp(),
  banned: flag(),
  ban_expires: timestamp(),
  shadow_banned: flag(),
  notifications_muted: flag(),
  created_at: timestamp(),
  updated_at: timestamp(),
  deleted_at: timestamp(),
  archived_at: timestamp(),
  pinned_at: timestamp(),
});

export const members = { name: 'members', record: memberRecord, primaryKey: [['cid'], ['user_id']] } satisfies StreamDefinition;
