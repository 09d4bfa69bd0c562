import type { ExportEntity } from '../export/entities.js';
import { isRecord } from '../utils/is-record.js';
import { channels } from './channels.js';
import type { StreamDefinition, StreamName } from './definition.js';
import { members } from './members.js';
import { messages } from './messages.js';
import { reactions } from './reactions.js';
import { users } from './users.js';

/**
 * One record for one stream. Records made from the same entity may share nested objects
 * (a message's `user` is also the users record): treat them as read-only.
 */
export interface StreamRecord {
  stream: StreamName;
  data: Record<string, unknown>;
}

/**
 * Told of each entity that does not match its stream's schema. Such a record is written as Stream
 * sent it (the destination types what it can), or skipped when it lacks a primary-key field: one
 * odd line must not block its channels' exports for good. The text names no record, so callers can
 * count problems by it.
 */
export type InvalidRecordReport = (problem: string) => void;

/**
 * The records one export entity yields, each checked against its stream's schema:
 * - channel → channels;
 * - member → members (with `cid`, and `user_id` from `user.id` when absent) + users (its user);
 * - message → messages (with `cid`, and `user_id` from `user.id` when absent) + reactions (from
 *   `latest_reactions` on messages marked `reactionsInline`: v1 exports, which have no reaction lines;
 *   Stream caps that list to the most recent few, `reaction_counts` still has the totals) + users
 *   (its author, its `mentioned_users`, and the users of the reactions it yields);
 * - reaction → reactions (with `cid` when known, `user_id` from `user.id` when absent) + users;
 * - user → users.
 * A `user` given as a bare id (Stream's import format) becomes `user_id`.
 * Users embedded elsewhere (pinned_by, thread_participants, quoted messages) are not extracted:
 * they are authors or members of the same export and arrive through those.
 * See InvalidRecordReport for entities that do not match their schema.
 */
export function toRecords(entity: ExportEntity, report: InvalidRecordReport = () => {}): StreamRecord[] {
  const out: StreamRecord[] = [];
  switch (entity.kind) {
    case 'channel':
      add(out, channels, withCid(entity), report);
      break;
    case 'user':
      add(out, users, entity.data, report);
      break;
    case 'member':
      addUser(out, add(out, members, withUserId(withCid(entity)), report)?.user, report);
      break;
    case 'reaction':
      addUser(out, add(out, reactions, withUserId(withCid(entity)), report)?.user, report);
      break;
    case 'message':
      addMessage(out, entity, report);
  }
  return out;
}

function addMessage(out: StreamRecord[], entity: ExportEntity, report: InvalidRecordReport): void {
  const message = add(out, messages, withUserId(withCid(entity)), report);
  if (!message) return;
  if (entity.reactionsInline && Array.isArray(message.latest_reactions)) {
    for (const latest of message.latest_reactions) {
      if (!isRecord(latest)) continue;
      const data = withUserId({ ...latest, message_id: latest.message_id ?? message.id, cid: message.cid });
      addUser(out, add(out, reactions, data, report)?.user, report);
    }
  }
  addUser(out, message.user, report);
  if (Array.isArray(message.mentioned_users)) for (const user of message.mentioned_users) addUser(out, user, report);
}

function addUser(out: StreamRecord[], user: unknown, report: InvalidRecordReport): void {
  if (isRecord(user)) add(out, users, user, report);
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

/** Adds the record when it matches its schema, or has at least its primary key (see InvalidRecordReport). */
function add<T extends Record<string, unknown>>(
  out: StreamRecord[],
  stream: StreamDefinition<T>,
  data: Record<string, unknown>,
  report: InvalidRecordReport,
): T | undefined {
  const result = stream.record.safeParse(data);
  if (result.success) {
    out.push({ stream: stream.name, data: result.data });
    return result.data;
  }
  const keyless = stream.primaryKey.some(([field]) => field === undefined || data[field] === undefined || data[field] === null);
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map((part) => (typeof part === 'number' ? '[]' : String(part))).join('.') || '(record)'}: ${issue.message}`)
    .join('; ');
  report(`${stream.name} record(s) not matching the schema (${problems}): ${keyless ? 'skipped, no primary key' : 'written as sent'}`);
  if (keyless) return undefined;
  out.push({ stream: stream.name, data });
  return data as T;
}
