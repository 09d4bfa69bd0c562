import { SystemError } from '../errors.js';
import { isRecord, type ExportEntity } from '../export/entities.js';
import { channels } from './channels.js';
import { CURSOR_FIELD, type StreamDefinition, type StreamName } from './definition.js';
import { members } from './members.js';
import { messages } from './messages.js';
import { reactions } from './reactions.js';
import { type UserRecord, users } from './users.js';

/**
 * One record for one stream. Records made from the same entity may share nested objects
 * (a message's `user` is also the users record): treat them as read-only.
 */
export interface StreamRecord {
  stream: StreamName;
  data: Record<string, unknown>;
}

export interface ToRecordsOptions {
  /**
   * Also make a reactions record of every entry of each message's `latest_reactions`, for
   * exports that have no reaction lines. Messages marked `reactionsInline` (v1 exports) get this
   * regardless. Stream caps `latest_reactions` to the most recent few reactions of a message, so
   * reactions beyond that cap are not seen this way (`reaction_counts` still has the totals).
   */
  reactionsFromLatest: boolean;
}

/**
 * The records one export entity yields, each checked against its stream's schema:
 * - channel → channels;
 * - member → members (with `cid`, and `user_id` from `user.id` when absent) + users (its user);
 * - message → messages (with `cid`, and `user_id` from `user.id` when absent) + reactions (from `latest_reactions`, see options) + users
 *   (its author, its `mentioned_users`, and the users of the reactions it yields);
 * - reaction → reactions (with `cid` when known, `user_id` from `user.id` when absent) + users;
 * - user → users.
 * A `user` given as a bare id (Stream's import format) becomes `user_id`.
 * Users embedded elsewhere (pinned_by, thread_participants, quoted messages) are not extracted:
 * they are authors or members of the same export and arrive through those.
 * A record that misses a primary-key field or has a wrongly typed field throws a SystemError.
 */
export function toRecords(entity: ExportEntity, options: ToRecordsOptions): StreamRecord[] {
  switch (entity.kind) {
    case 'channel':
      return [{ stream: 'channels', data: checked(channels, withCid(entity)) }];
    case 'user':
      return [{ stream: 'users', data: checked(users, entity.data) }];
    case 'member': {
      const member = checked(members, withUserId(withCid(entity)));
      const out: StreamRecord[] = [{ stream: 'members', data: member }];
      addUser(out, member.user);
      return out;
    }
    case 'reaction': {
      const reaction = checked(reactions, withUserId(withCid(entity)));
      const out: StreamRecord[] = [{ stream: 'reactions', data: reaction }];
      addUser(out, reaction.user);
      return out;
    }
    case 'message':
      return messageRecords(entity, options.reactionsFromLatest || entity.reactionsInline === true);
  }
}

/** The cursor value (`updated_at`) of a record, when it has one. */
export function cursorValue(record: StreamRecord): string | undefined {
  const value = record.data[CURSOR_FIELD];
  return typeof value === 'string' ? value : undefined;
}

function messageRecords(entity: ExportEntity, reactionsFromLatest: boolean): StreamRecord[] {
  const message = checked(messages, withUserId(withCid(entity)));
  const out: StreamRecord[] = [{ stream: 'messages', data: message }];
  if (reactionsFromLatest && message.latest_reactions) {
    for (const latest of message.latest_reactions) {
      const data = withUserId({ ...latest, message_id: latest.message_id ?? message.id, cid: message.cid });
      const reaction = checked(reactions, data);
      out.push({ stream: 'reactions', data: reaction });
      addUser(out, reaction.user);
    }
  }
  addUser(out, message.user);
  if (message.mentioned_users) for (const user of message.mentioned_users) addUser(out, user);
  return out;
}

function addUser(out: StreamRecord[], user: UserRecord | null | undefined): void {
  if (user) out.push({ stream: 'users', data: user });
}

// Derived fields go in front of the copy: V8 keeps `{ key, ...data }` a fast object, while
// `{ ...data, key }` of a large object reads about twice as slowly in validation.

function withCid(entity: ExportEntity): Record<string, unknown> {
  const { cid, data } = entity;
  if (cid === undefined || data.cid === cid) return data;
  return data.cid === undefined ? { cid, ...data } : { ...data, cid };
}

// Stream's import format names a user by id in `user`; API-shaped objects nest the user object.
function withUserId(data: Record<string, unknown>): Record<string, unknown> {
  const { user } = data;
  if (typeof user === 'string') {
    const { user: _id, ...rest } = data;
    return data.user_id == null ? { ...rest, user_id: user } : rest;
  }
  if (data.user_id == null && isRecord(user) && typeof user.id === 'string') {
    return data.user_id === undefined ? { user_id: user.id, ...data } : { ...data, user_id: user.id };
  }
  return data;
}

function checked<T extends Record<string, unknown>>(
  stream: StreamDefinition<T>,
  data: Record<string, unknown>,
): T {
  const result = stream.record.safeParse(data);
  if (result.success) return result.data;
  const id = stream.primaryKey.map(([field]) => (field === undefined ? '?' : String(data[field] ?? '?'))).join('/');
  const cid = typeof data.cid === 'string' ? data.cid : undefined;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
    .join('; ');
  throw new SystemError(`${stream.name} record ${id}${cid ? ` of ${cid}` : ''} does not match its schema: ${problems}`, {
    cause: result.error,
    context: { stream: stream.name, cid, id },
  });
}
