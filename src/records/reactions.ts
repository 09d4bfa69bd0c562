import { z } from 'zod';
import type { StreamDefinition } from './definition.js';
import { integer, text, timestamp } from './fields.js';
import { embeddedUser } from './users.js';

const reactionFields = {
  type: z.string(),
  score: integer(),
  emoji_code: text(),
  user: embeddedUser(),
  created_at: timestamp(),
  updated_at: timestamp(),
};

/** A reaction as nested in a message's `latest_reactions` / `own_reactions`. */
export const nestedReaction = z.looseObject({ message_id: text(), user_id: text(), ...reactionFields });

/**
 * A reaction record. `cid` is set whenever the channel is known (always, in channel exports);
 * a reaction line of a users export names no channel.
 */
export const reactionRecord = z.looseObject({
  message_id: z.string(),
  user_id: z.string(),
  ...reactionFields,
  cid: text(),
});

export const reactions = {
  name: 'reactions',
  record: reactionRecord,
  primaryKey: [['message_id'], ['user_id'], ['type']],
} satisfies StreamDefinition;
