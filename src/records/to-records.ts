import type { ExportEntity } from '../export/entities.js';
import { isRecord } from '../utils/is-record.js';
import { channels } from './channels.js';
import { compileCheck, type Check } from './compiled-check.js';
import { flattenCustom } from './custom-fields.js';
import type { StreamDefinition, StreamName } from './definition.js';
import { members } from './members.js';
import { messages } from './messages.js';
import { reactions } from './reactions.js';
import { users } from './users.js';

/**
 * One record for one stream. Records made from the same entity may share nested objects
 * (a message's `user` is also the users record), and with the entity itself: treat them as read-only.
 */
export interface StreamRecord {
  stream: StreamName;
  data: Record<string, unknown>;
  /** `data` as JSON text in UTF-8, when it came verbatim from the export line (a wrapped v2 line). */
  json?: Buffer;
}

/**
 * Told of each entity that does not match its stream's schema. Such a record is written as Stream
 * sent it (the destination types what it can), or skipped when it lacks a primary-key field: one
 * odd line must not block its channels' exports for good. The text names no record, so callers can
 * count problems by it.
 */
export type InvalidRecordReport = (problem: string) => void;

const CHECKS: Readonly<Record<StreamName, Check>> = {
  channels: compileCheck(channels.record),
  members: compileCheck(members.record),
  messages: compileCheck(messages.record),
  reactions: compileCheck(reactions.record),
  users: compileCheck(users.record),
};

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
 * Custom data Stream sends in a `custom` object is flattened first (flattenCustom), so records have
 * one shape whichever way it comes.
 * The entity's own record keeps the entity's JSON text, with the derived fields put in front of it.
 * See InvalidRecordReport for entities that do not match their schema.
 */
export function toRecords(sent: ExportEntity, report: InvalidRecordReport = () => {}): StreamRecord[] {
  const entity = withCustomFlattened(sent);
  const out: StreamRecord[] = [];
  switch (entity.kind) {
    case 'channel':
      add(out, channels, ownRecord(entity, false), report);
      break;
    case 'user':
      add(out, users, ownRecord(entity, false), report);
      break;
    case 'member':
      addUserOf(out, add(out, members, ownRecord(entity, true), report), report);
      break;
    case 'reaction':
      addUserOf(out, add(out, reactions, ownRecord(entity, true), report), report);
      break;
    case 'message':
      addMessage(out, entity, report);
  }
  return out;
}

/** The entity with its custom data flattened (see flattenCustom); its JSON text goes when that changes it. */
function withCustomFlattened(entity: ExportEntity): ExportEntity {
  const data = flattenCustom(entity.data);
  if (data === entity.data) return entity;
  const { json: _json, ...rest } = entity;
  return { ...rest, data };
}

/** What `add` made of a record: its data, and whether it matched its schema (its embedded users too, then). */
interface Added {
  data: Record<string, unknown>;
  valid: boolean;
}

function addMessage(out: StreamRecord[], entity: ExportEntity, report: InvalidRecordReport): void {
  const message = add(out, messages, ownRecord(entity, true), report);
  if (!message) return;
  const { data, valid } = message;
  if (entity.reactionsInline && Array.isArray(data.latest_reactions)) {
    for (const latest of data.latest_reactions) {
      if (!isRecord(latest)) continue;
      const reaction = withUserId({ ...latest, message_id: latest.message_id ?? data.id, cid: data.cid });
      addUserOf(out, add(out, reactions, { data: reaction.data }, report), report);
    }
  }
  addUser(out, data.user, valid, report);
  if (Array.isArray(data.mentioned_users)) for (const user of data.mentioned_users) addUser(out, user, valid, report);
}

function addUserOf(out: StreamRecord[], added: Added | undefined, report: InvalidRecordReport): void {
  if (added) addUser(out, added.data.user, added.valid, report);
}

/** A user embedded in a record that matched its schema matched the users schema with it: no second check. */
function addUser(out: StreamRecord[], user: unknown, checked: boolean, report: InvalidRecordReport): void {
  if (!isRecord(user)) return;
  if (checked) out.push({ stream: users.name, data: user });
  else add(out, users, { data: user }, report);
}

/** A record's data and, when it can be told without serialising, its JSON text. */
interface Shaped {
  data: Record<string, unknown>;
  json?: Buffer;
}

// Derived fields go in front of the copy: V8 keeps `{ key, ...data }` a fast object, while
// `{ ...data, key }` of a large object reads about twice as slowly. In front, they also extend the
// entity's JSON text without rewriting it.

/** The entity's own record: with its `cid` (and `user_id`, for records that name a user), and its JSON text. */
function ownRecord(entity: ExportEntity, namesUser: boolean): Shaped {
  const { cid, json } = entity;
  let data = entity.data;
  let head = '';
  // An object with a first key: derived fields can go in front of it.
  let verbatim = json !== undefined && json[0] === 0x7b && json[1] === 0x22;
  if (cid !== undefined && data.cid !== cid) {
    verbatim &&= data.cid === undefined;
    if (data.cid === undefined) head = `"cid":${JSON.stringify(cid)},`;
    data = data.cid === undefined ? { cid, ...data } : { ...data, cid };
  }
  if (namesUser) {
    const shaped = withUserId(data);
    verbatim &&= shaped.head !== undefined;
    head = `${shaped.head ?? ''}${head}`;
    data = shaped.data;
  }
  if (!verbatim || json === undefined) return { data };
  return { data, json: head === '' ? json : prepended(`{${head}`, json.subarray(1)) };
}

function prepended(head: string, rest: Buffer): Buffer {
  const headBytes = Buffer.byteLength(head);
  const bytes = Buffer.allocUnsafe(headBytes + rest.length);
  bytes.write(head);
  rest.copy(bytes, headBytes);
  return bytes;
}

// Stream's import format names a user by id in `user`; API-shaped objects nest the user object.
/** The data with `user_id`; `head` is the JSON text put in front of it, undefined when the text cannot follow. */
function withUserId(data: Record<string, unknown>): { data: Record<string, unknown>; head?: string } {
  const { user } = data;
  if (typeof user === 'string') {
    const { user: _id, ...rest } = data;
    return { data: data.user_id == null ? { ...rest, user_id: user } : rest };
  }
  if (data.user_id == null && isRecord(user) && typeof user.id === 'string') {
    if (data.user_id === undefined) return { data: { user_id: user.id, ...data }, head: `"user_id":${JSON.stringify(user.id)},` };
    return { data: { ...data, user_id: user.id } };
  }
  return { data, head: '' };
}

/** Adds the record when it matches its schema, or has at least its primary key (see InvalidRecordReport). */
function add(out: StreamRecord[], stream: StreamDefinition, shaped: Shaped, report: InvalidRecordReport): Added | undefined {
  const { data, json } = shaped;
  const record: StreamRecord = json === undefined ? { stream: stream.name, data } : { stream: stream.name, data, json };
  // The compiled check answers for nearly every record; zod has the last word, and says why.
  const result = CHECKS[stream.name](data) ? undefined : stream.record.safeParse(data);
  const valid = result === undefined || result.success;
  if (valid) {
    out.push(record);
    return { data, valid };
  }
  const keyless = stream.primaryKey.some(([field]) => field === undefined || data[field] === undefined || data[field] === null);
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map((part) => (typeof part === 'number' ? '[]' : String(part))).join('.') || '(record)'}: ${issue.message}`)
    .join('; ');
  report(`${stream.name} record(s) not matching the schema (${problems}): ${keyless ? 'skipped, no primary key' : 'written as sent'}`);
  if (keyless) return undefined;
  out.push(record);
  return { data, valid };
}
