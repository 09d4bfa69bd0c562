import type { ChannelModel, MemberModel, MessageModel, ReactionModel, UserModel } from './models.js';
import { below, hash, pick, unit } from './random.js';
import type { Micros } from './time.js';
import { userId, type UserIdStyle } from './user-ids.js';

/** Generated messages lie in the SPAN before BASE, so every export of them is reproducible. */
export const BASE: Micros = Date.UTC(2025, 0, 1) * 1000;
export const SPAN: Micros = 90 * 86_400_000_000;
const DAY: Micros = 86_400_000_000;
const SECOND: Micros = 1_000_000;

export interface GeneratedOptions {
  seed: number;
  channels: number;
  messagesPerChannel: number;
  usersCount: number;
  channelTypes: string[];
  /** Default 'plain' (`user-0000`). */
  userIdStyle?: UserIdStyle;
}

/** Channels as a bulk import leaves them (see EmulatorOptions.importedChannels). */
export interface ImportedChannels {
  withMessage: number;
  withoutMessage: number;
  createdAt: Micros;
  updatedAt: Micros;
  /** Members are drawn from the first `memberPool` users. */
  memberPool: number;
  type: string;
}

const FIRST_NAMES = ['Ada', 'Björn', 'Chen', 'Dalia', 'Émile', 'Fatima', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kofi', 'Lena', 'Mateo', 'Nia', 'Oskar', 'Priya'];
const LAST_NAMES = ['Okafor', 'Lindqvist', 'Wei', 'Haddad', 'Moreau', 'Rahman', 'Kowalski', 'Sato', 'Novak', 'Ito', 'Mensah', 'Schulz'];
const COLORS = ['red', 'green', 'blue', 'teal', 'orange', 'purple'];
const TOPICS = ['support', 'random', 'design', 'releases', 'ops', 'sales', 'books', 'music'];
const SOURCES = ['web', 'ios', 'android'];
export const REACTION_TYPES = ['like', 'love', 'haha', 'wow', 'sad'];
// Words that exercise clients: multi-byte UTF-8, emoji, quotes, HTML-significant characters, newlines.
const WORDS = [
  'hello',
  'team',
  'ship',
  'it',
  'today',
  'review',
  'the',
  'release',
  'notes',
  'lunch',
  'meeting',
  'tomorrow',
  'thanks',
  'great',
  'idea',
  'bug',
  'fixed',
  'deploy',
  'coffee',
  'weekend',
  'café',
  'naïve',
  'über',
  'smörgåsbord',
  '日本語',
  'Привет',
  '🚀',
  '👍',
  '🎉',
  '"quoted"',
  '<b>bold</b>',
  'a&b',
  'back\\slash',
  'tab\there',
  'two\nlines',
];

function pad(n: number): string {
  return String(n).padStart(4, '0');
}

export function generateUser(seed: number, index: number, style: UserIdStyle = 'plain'): UserModel {
  const createdAt = BASE - SPAN - (30 + below(300, seed, 1, index)) * DAY + below(DAY, seed, 2, index);
  const user: UserModel = {
    id: userId(index, style),
    name: `${pick(FIRST_NAMES, seed, 3, index)} ${pick(LAST_NAMES, seed, 4, index)}`,
    role: index === 0 ? 'admin' : 'user',
    createdAt,
    updatedAt: createdAt + below(20 * DAY, seed, 5, index),
    lastActive: BASE - below(10 * DAY, seed, 6, index),
  };
  if (index % 5 !== 4) user.image = `https://images.example.com/avatars/${user.id}.png`;
  if (index % 4 !== 3) user.favoriteColor = pick(COLORS, seed, 7, index);
  return user;
}

/** `least` to `least + spread - 1` distinct users of the first `pool`, the first the owner; each joins `joinStep` after the one before. */
function generateMembers(
  options: GeneratedOptions,
  index: number,
  createdAt: Micros,
  members = { pool: options.usersCount, least: 2, spread: 5, joinStep: 3600 * SECOND },
): MemberModel[] {
  const { seed } = options;
  const { pool, least, spread, joinStep } = members;
  const wanted = Math.min(pool, least + below(spread, seed, 10, index));
  const chosen: number[] = [];
  for (let attempt = 0; chosen.length < wanted; attempt++) {
    const candidate = attempt < 64 ? below(pool, seed, 11, index, attempt) : (chosen.length + attempt) % pool;
    if (!chosen.includes(candidate)) chosen.push(candidate);
  }
  const style = options.userIdStyle ?? 'plain';
  return chosen.map((user, k) => ({ userId: userId(user, style), role: k === 0 ? 'owner' : 'member', createdAt: createdAt + k * joinStep }));
}

/** Channel 4 of every 10 is truncated, channel 7 of every 10 soft-deleted (so 10 channels show both cases). */
export function generateChannel(options: GeneratedOptions, index: number): ChannelModel {
  const { seed, channelTypes, messagesPerChannel } = options;
  const type = channelTypes[index % channelTypes.length] as string;
  const id = `channel-${pad(index)}`;
  const firstMessageAt = BASE - SPAN;
  const createdAt = firstMessageAt - (1 + below(30, seed, 20, index)) * DAY - below(DAY, seed, 21, index);
  const members = generateMembers(options, index, createdAt);
  const topic = pick(TOPICS, seed, 22, index);
  const fields: Record<string, unknown> = { name: `${topic} ${index}`, topic };
  if (index % 3 === 0) fields.image = `https://images.example.com/channels/${id}.png`;
  const channel: ChannelModel = {
    index,
    type,
    id,
    cid: `${type}:${id}`,
    createdAt,
    updatedAt: createdAt + below(SPAN, seed, 23, index),
    createdById: (members[0] as MemberModel).userId,
    fields,
    members,
    generatedMessages: messagesPerChannel,
    firstMessageAt,
    messageStep: SPAN / Math.max(1, messagesPerChannel),
  };
  if (index % 10 === 4) {
    channel.truncatedAt = firstMessageAt + Math.floor(SPAN / 5);
    channel.updatedAt = Math.max(channel.updatedAt, channel.truncatedAt);
  }
  if (index % 10 === 7) {
    channel.deletedAt = BASE - (1 + below(10, seed, 24, index)) * DAY;
    channel.updatedAt = Math.max(channel.updatedAt, channel.deletedAt);
  }
  return channel;
}

/**
 * Channels as a bulk import leaves them, indexed from `first`: all created at one instant, each with 3–6
 * members joined then. The first `withMessage` hold one message each, at its own second after the import
 * (in a seeded order, not the ids'), and keep updated_at = created_at; the others hold none and share
 * `updatedAt`.
 */
export function generateImportedChannels(options: GeneratedOptions, imported: ImportedChannels, first: number): ChannelModel[] {
  const { seed } = options;
  const { withMessage, createdAt, memberPool, type } = imported;
  const slots = Array.from({ length: withMessage }, (_, k) => k).sort((a, b) => hash(seed, 70, a) - hash(seed, 70, b));
  const members = { pool: memberPool, least: 3, spread: 4, joinStep: 0 };
  return Array.from({ length: withMessage + imported.withoutMessage }, (_, k) => {
    const index = first + k;
    const id = `imported-${String(k).padStart(5, '0')}`;
    const channelMembers = generateMembers(options, index, createdAt, members);
    const slot = slots[k];
    return {
      index,
      type,
      id,
      cid: `${type}:${id}`,
      createdAt,
      updatedAt: slot === undefined ? imported.updatedAt : createdAt,
      createdById: (channelMembers[0] as MemberModel).userId,
      fields: { name: `imported ${k}` },
      members: channelMembers,
      generatedMessages: slot === undefined ? 0 : 1,
      firstMessageAt: createdAt + (1 + (slot ?? 0)) * SECOND,
      messageStep: 1,
    };
  });
}

/** Strictly increasing in i: the jitter stays below 90% of the step, and the step is at least 10 µs. */
export function generatedCreatedAt(seed: number, channel: ChannelModel, i: number): Micros {
  const step = channel.messageStep;
  return channel.firstMessageAt + Math.floor(i * step) + Math.floor(unit(seed, 30, channel.index, i) * step * 0.9);
}

/** The first generated index whose created_at is after `instant` (binary search; created_at is monotonic). */
export function firstGeneratedAfter(seed: number, channel: ChannelModel, instant: Micros): number {
  let lo = 0;
  let hi = channel.generatedMessages;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (generatedCreatedAt(seed, channel, mid) > instant) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function generatedMessageId(channelIndex: number, i: number): string {
  return `msg-${channelIndex}-${i}`;
}

export function messageText(seed: number, ...coordinates: number[]): string {
  const count = 3 + below(10, seed, 40, ...coordinates);
  const words: string[] = [];
  for (let w = 0; w < count; w++) words.push(pick(WORDS, seed, 41, ...coordinates, w));
  return words.join(' ');
}

// Messages come in blocks of 10; in 40% of blocks message 1 starts a thread and messages 2 and 3 reply to it.
function threadRole(seed: number, channel: ChannelModel, i: number): 'parent' | 'reply' | undefined {
  const offset = i % 10;
  if (offset < 1 || offset > 3 || unit(seed, 31, channel.index, Math.floor(i / 10)) >= 0.4) return undefined;
  return offset === 1 ? 'parent' : 'reply';
}

export function generateMessage(seed: number, channel: ChannelModel, i: number): MessageModel {
  const c = channel.index;
  const createdAt = generatedCreatedAt(seed, channel, i);
  const role = threadRole(seed, channel, i);
  const authors = channel.members;
  const message: MessageModel = {
    id: generatedMessageId(c, i),
    cid: channel.cid,
    userId: (authors[below(authors.length, seed, 32, c, i)] as MemberModel).userId,
    type: role === 'reply' ? 'reply' : 'regular',
    text: messageText(seed, c, i),
    createdAt,
    updatedAt: createdAt,
    replyCount: 0,
  };
  if (role === 'parent') {
    message.replyCount = [i + 1, i + 2].filter((reply) => reply < channel.generatedMessages).length;
  } else if (role === 'reply') {
    message.parentId = generatedMessageId(c, i - (i % 10) + 1);
  } else if (unit(seed, 33, c, i) < 0.03) {
    message.type = 'deleted';
    message.deletedAt = createdAt + (1 + below(3600, seed, 34, c, i)) * SECOND;
    message.updatedAt = message.deletedAt;
    return message;
  }
  if (unit(seed, 35, c, i) < 0.12) {
    message.updatedAt = createdAt + (1 + below(7200, seed, 36, c, i)) * SECOND + below(SECOND, seed, 37, c, i);
    message.textUpdatedAt = message.updatedAt;
  }
  if (unit(seed, 38, c, i) < 0.5) message.source = pick(SOURCES, seed, 39, c, i);
  return message;
}

/** 30% of messages carry 1–3 reactions from distinct members; deleted messages carry none. */
export function generateReactions(seed: number, channel: ChannelModel, i: number, message: MessageModel): ReactionModel[] {
  const c = channel.index;
  if (message.type === 'deleted' || unit(seed, 50, c, i) >= 0.3) return [];
  const members = channel.members;
  const count = Math.min(members.length, 1 + below(3, seed, 51, c, i));
  const first = below(members.length, seed, 52, c, i);
  const reactions: ReactionModel[] = [];
  for (let k = 0; k < count; k++) {
    const createdAt = message.createdAt + (k + 1) * 60 * SECOND + below(60 * SECOND, seed, 53, c, i, k);
    reactions.push({
      messageId: message.id,
      userId: (members[(first + k) % members.length] as MemberModel).userId,
      type: pick(REACTION_TYPES, seed, 54, c, i, k),
      score: 1,
      createdAt,
      updatedAt: createdAt,
    });
  }
  return reactions;
}
