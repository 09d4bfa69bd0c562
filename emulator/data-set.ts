import { channelEntity, fullUserEntity, memberEntity, messageEntity, reactionEntity, userEntity, type Entity } from './entities.js';
import {
  firstGeneratedAfter,
  generateChannel,
  generatedCreatedAt,
  generateImportedChannels,
  generateMessage,
  generateReactions,
  generateUser,
  messageText,
  type GeneratedOptions,
  type ImportedChannels,
} from './generated.js';
import type { ChannelModel, MemberModel, MessageModel, ReactionModel, UserModel } from './models.js';
import { dateToMicros, parseMicros, type Micros } from './time.js';

export type EntityType = 'channel' | 'member' | 'message' | 'reaction' | 'user';

/** One entity of an export, in file order; `cid` is the channel it belongs to (absent for users). */
export interface ExportEntity {
  type: EntityType;
  cid?: string;
  data: Entity;
}

/** A message is selected when since < created_at <= until (an absent bound is open). */
export interface ChannelWindow {
  cid: string;
  since?: Micros;
  until?: Micros;
}

export interface ExportSelection {
  channels: ChannelWindow[];
  includeTruncated?: boolean;
  includeSoftDeleted?: boolean;
  clearDeletedText?: boolean;
}

/** Ground-truth filters; the defaults match an export of every channel with default flags. */
export interface GroundTruthOptions {
  includeTruncated?: boolean;
  includeSoftDeleted?: boolean;
  /** Only these channels, in this order (default: every channel, generated then added). */
  cids?: string[];
  since?: string | Date;
  until?: string | Date;
}

export interface EntityCounts {
  channels: number;
  members: number;
  messages: number;
  reactions: number;
  users: number;
}

export interface AddMessageOptions {
  /** Author; made a member of the channel if needed (default: the channel's members in turn). */
  userId?: string;
  text?: string;
  /** Makes the messages thread replies to this message (its reply_count grows). */
  parentId?: string;
}

export interface AddChannelOptions {
  type?: string;
  id?: string;
  /** Default: the first two generated users still active; the first is the owner and creator. */
  memberIds?: string[];
  /** Custom fields, e.g. { name: 'Launch' }. */
  fields?: Record<string, unknown>;
  /** created_at = updated_at (RFC3339 or a Date, it may lie in the past); default the emulator's now. */
  createdAt?: string | Date;
}

export interface AddChannelsOptions {
  count: number;
  /** Default: the first channel type. */
  type?: string;
  /** One created_at (and updated_at) for all of them, as a bulk import gives; default the emulator's now. */
  createdAt?: string | Date;
  /** Ids are `<idPrefix>-00000`, `<idPrefix>-00001`…; default `bulk-<index of the first>`. */
  idPrefix?: string;
  /** Default: the first two generated users still active; the first is the owner and creator. */
  memberIds?: string[];
}

export interface AddUserOptions {
  /** Default `added-user-<n>`, which sorts before every plain generated id: a sign-up's id may sort anywhere. */
  id?: string;
  /** Default `New user <n>`. */
  name?: string;
  /** Default `user`. */
  role?: string;
  /** Custom fields, e.g. { favorite_color: 'red' }. */
  fields?: Record<string, unknown>;
}

export interface DeleteUserOptions {
  /** Hard: the user is gone for good; default false (soft: deleted_at is set). */
  hard?: boolean;
  /** Their messages too, in every channel (Stream's mark_messages_deleted / hard_delete): soft or hard; default kept. */
  messages?: 'soft' | 'hard';
}

export interface DeleteOptions {
  /** Hard: gone from every answer; default false (soft: `deleted_at` is set, and a message becomes `type: deleted`). */
  hard?: boolean;
}

export interface QueryableUsersOptions {
  /** As query users' `include_deactivated_users`, but true by default. */
  includeDeactivated?: boolean;
}

export const DEFAULT_LONELY_USERS = 5;

export interface DataSetOptions extends GeneratedOptions {
  now: () => Date;
  /** Users after the `usersCount` ones, who join no channel (default DEFAULT_LONELY_USERS): only query users lists them. */
  lonelyUsers?: number;
  /** Whether added thread replies move their channel's last_message_at (default true). */
  repliesMoveLastMessageAt?: boolean;
  /** Every generated channel created at this instant (a bulk import) instead of its own. */
  channelsCreatedAt?: Micros;
  /** Channels as a bulk import leaves them, after the generated ones. */
  importedChannels?: ImportedChannels;
}

// Everything the seed determines, computed once and never changed.
interface Universe {
  options: DataSetOptions;
  users: UserModel[];
  usersById: Map<string, UserModel>;
  channels: ChannelModel[];
  channelIndexByCid: Map<string, number>;
}

// Everything added at run time; small, so a snapshot is a deep copy.
interface Mutations {
  channels: ChannelModel[];
  addedIndexByCid: Map<string, number>;
  channelPatches: Map<string, { fields: Record<string, unknown>; updatedAt: Micros; deletedAt?: Micros }>;
  members: Map<string, MemberModel[]>;
  /** cid → ids of generated members removed (added members removed leave `members`). */
  removedMembers: Map<string, Set<string>>;
  /** Deleted messages: a soft one is `type: deleted` with deleted_at = at, a hard one is gone with its reactions. */
  deletedMessages: Map<string, { hard: boolean; at: Micros }>;
  /** message id → generated reactions removed, as `userId type` (added reactions removed leave `reactions`). */
  removedReactions: Map<string, Set<string>>;
  messages: Map<string, MessageModel[]>;
  edits: Map<string, { text: string; updatedAt: Micros }>;
  reactions: Map<string, ReactionModel[]>;
  replies: Map<string, number>;
  /** Users changed or added at run time; every change is a new model, as entities are cached per model. */
  users: Map<string, UserModel>;
  addedUserIds: string[];
  hardDeletedUserIds: Set<string>;
  /** Indexes of hard-deleted channels: gone from query channels, exports and lookups (their cid may be reused). */
  deletedChannels: Set<number>;
  lastInstant: Micros;
}

const MESSAGE_ID = /^msg-(\d+)-(a?)(\d+)$/;

// What a profile update may not set: identity, timestamps and moderation state have their own mutations.
const RESERVED_USER_FIELDS = new Set([
  'id',
  'created_at',
  'updated_at',
  'last_active',
  'last_engaged_at',
  'deactivated_at',
  'deleted_at',
  'banned',
  'shadow_banned',
  'online',
  'invisible',
  'blocked_user_ids',
  'teams',
]);

function customUserFields(fields: Record<string, unknown>): Record<string, unknown> {
  const reserved = Object.keys(fields).filter((key) => RESERVED_USER_FIELDS.has(key));
  if (reserved.length > 0) throw new Error(`emulator data set: a user update cannot set ${reserved.join(', ')}`);
  return { ...fields };
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw new Error(`emulator data set: user ${name} must be a string`);
  return value;
}

function sameReaction(a: ReactionModel, b: ReactionModel): boolean {
  return a.userId === b.userId && a.type === b.type;
}

function reactionKey(reaction: Pick<ReactionModel, 'userId' | 'type'>): string {
  return `${reaction.userId} ${reaction.type}`;
}

/** Read-only access to the data: the generated universe plus a set of mutations. */
export class DataView {
  constructor(
    protected readonly universe: Universe,
    protected readonly mutations: Mutations,
  ) {}

  get seed(): number {
    return this.universe.options.seed;
  }

  /** A user's current model; a deleted user's is the last copy, the one exports keep embedding. */
  user(id: string): UserModel | undefined {
    return this.mutations.users.get(id) ?? this.universe.usersById.get(id);
  }

  /** Whether Stream still knows the user (anything but hard-deleted): user exports accept the id. */
  hasUser(id: string): boolean {
    return this.user(id) !== undefined && !this.mutations.hardDeletedUserIds.has(id);
  }

  protected isDeleted(user: UserModel): boolean {
    return user.deletedAt !== undefined || this.mutations.hardDeletedUserIds.has(user.id);
  }

  protected requireUser(id: string): UserModel {
    const user = this.user(id);
    if (!user) throw new Error(`emulator data set: no user "${id}"`);
    return user;
  }

  private everyUser(): UserModel[] {
    const { users } = this.mutations;
    const generated = users.size === 0 ? this.universe.users : this.universe.users.map((user) => users.get(user.id) ?? user);
    const added = this.mutations.addedUserIds.map((id) => users.get(id) as UserModel);
    return [...generated, ...added].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The users query users lists, sorted by id: never deleted ones (soft or hard), deactivated ones only when asked. */
  listedUsers(includeDeactivated: boolean): UserModel[] {
    return this.everyUser().filter((user) => !this.isDeleted(user) && (includeDeactivated || user.deactivatedAt === undefined));
  }

  /** Every user query users can see (with include_deactivated_users), members of no channel included; sorted by id. */
  allUsers(): UserModel[] {
    return this.listedUsers(true);
  }

  /** Ground truth of query users: the user entities it lists, sorted by id (deactivated ones unless includeDeactivated is false). */
  queryableUsers(options: QueryableUsersOptions = {}): Entity[] {
    return this.listedUsers(options.includeDeactivated ?? true).map((user) => fullUserEntity(user));
  }

  /**
   * Users deleted (soft or hard) who are still embedded in an export of the selection, that is members of
   * its channels, in the shape exports embed them; sorted by id. Query users no longer lists them.
   */
  deletedUsers(options: GroundTruthOptions = {}): Entity[] {
    const selection = this.selectionFor(options);
    const ids = new Set<string>();
    for (const window of selection.channels) {
      const channel = this.requireChannel(window.cid);
      if (channel.deletedAt !== undefined && !selection.includeSoftDeleted) continue;
      for (const member of channel.members) ids.add(member.userId);
    }
    return [...ids]
      .sort()
      .map((id) => this.requireUser(id))
      .filter((user) => this.isDeleted(user))
      .map((user) => userEntity(user));
  }

  private channelAt(index: number): ChannelModel | undefined {
    const generated = this.universe.channels;
    const base = index < generated.length ? generated[index] : this.mutations.channels[index - generated.length];
    if (!base || this.mutations.deletedChannels.has(index)) return undefined;
    const patch = this.mutations.channelPatches.get(base.cid);
    const added = this.mutations.members.get(base.cid) ?? [];
    const removed = this.mutations.removedMembers.get(base.cid);
    if (!patch && added.length === 0 && !removed) return base;
    const channel: ChannelModel = {
      ...base,
      fields: { ...base.fields, ...patch?.fields },
      updatedAt: patch?.updatedAt ?? base.updatedAt,
      members: [...(removed ? base.members.filter((member) => !removed.has(member.userId)) : base.members), ...added],
    };
    const deletedAt = patch?.deletedAt ?? base.deletedAt;
    if (deletedAt !== undefined) channel.deletedAt = deletedAt;
    return channel;
  }

  channelModel(cid: string): ChannelModel | undefined {
    const index = this.mutations.addedIndexByCid.get(cid) ?? this.universe.channelIndexByCid.get(cid);
    return index === undefined ? undefined : this.channelAt(index);
  }

  protected requireChannel(cid: string): ChannelModel {
    const channel = this.channelModel(cid);
    if (!channel) throw new Error(`emulator data set: no channel "${cid}"`);
    return channel;
  }

  /** Every channel, generated then added, soft-deleted ones included, hard-deleted ones not. */
  allChannels(): ChannelModel[] {
    const count = this.universe.channels.length + this.mutations.channels.length;
    const channels: ChannelModel[] = [];
    for (let index = 0; index < count; index++) {
      const channel = this.channelAt(index);
      if (channel) channels.push(channel);
    }
    return channels;
  }

  channelEntity(channel: ChannelModel): Entity {
    return channelEntity(channel, {
      createdBy: this.requireUser(channel.createdById),
      memberCount: channel.members.length,
      lastMessageAt: this.lastMessageAt(channel),
    });
  }

  lastMessageAt(channel: ChannelModel): Micros | undefined {
    const added = this.mutations.messages.get(channel.cid) ?? [];
    const counted = this.universe.options.repliesMoveLastMessageAt === false ? added.filter((message) => message.parentId === undefined) : added;
    const last = counted[counted.length - 1];
    if (last) return last.createdAt;
    if (channel.generatedMessages === 0) return undefined;
    return generatedCreatedAt(this.seed, channel, channel.generatedMessages - 1);
  }

  private withEdits(message: MessageModel): MessageModel {
    const edit = this.mutations.edits.get(message.id);
    const replies = this.mutations.replies.get(message.id) ?? 0;
    const deletion = this.mutations.deletedMessages.get(message.id);
    if (!edit && replies === 0 && !deletion) return message;
    const edited = { ...message, replyCount: message.replyCount + replies };
    if (edit) Object.assign(edited, { text: edit.text, updatedAt: edit.updatedAt, textUpdatedAt: edit.updatedAt });
    if (deletion && message.deletedAt === undefined) Object.assign(edited, { type: 'deleted', deletedAt: deletion.at, updatedAt: deletion.at });
    return edited;
  }

  private reactionsOf(message: MessageModel, generated: ReactionModel[]): ReactionModel[] {
    const added = this.mutations.reactions.get(message.id);
    const removed = this.mutations.removedReactions.get(message.id);
    const kept = removed ? generated.filter((reaction) => !removed.has(reactionKey(reaction))) : generated;
    if (!added) return kept;
    const merged = kept.filter((reaction) => !added.some((other) => sameReaction(reaction, other)));
    return [...merged, ...added];
  }

  /** A message of a channel with its reactions: generated index i, or the k-th added one. */
  private messageAt(channel: ChannelModel, ref: { generated: number } | { added: number }): [MessageModel, ReactionModel[]] | undefined {
    if ('generated' in ref) {
      if (ref.generated >= channel.generatedMessages) return undefined;
      // Generated from the channel as the seed made it: members removed since still wrote and reacted.
      const generated = this.universe.channels[channel.index] ?? channel;
      const message = generateMessage(this.seed, generated, ref.generated);
      if (this.isHardDeleted(message)) return undefined;
      return [this.withEdits(message), this.reactionsOf(message, generateReactions(this.seed, generated, ref.generated, message))];
    }
    const message = this.mutations.messages.get(channel.cid)?.[ref.added];
    return message && !this.isHardDeleted(message) ? [this.withEdits(message), this.reactionsOf(message, [])] : undefined;
  }

  private isHardDeleted(message: MessageModel): boolean {
    return this.mutations.deletedMessages.get(message.id)?.hard === true;
  }

  protected findMessage(id: string): { channel: ChannelModel; message: MessageModel; reactions: ReactionModel[] } | undefined {
    const match = MESSAGE_ID.exec(id);
    const channel = match && this.channelAt(Number(match[1]));
    if (!match || !channel) return undefined;
    const n = Number(match[3]);
    const found = this.messageAt(channel, match[2] ? { added: n } : { generated: n });
    return found && { channel, message: found[0], reactions: found[1] };
  }

  messageEntity(message: MessageModel, reactions: ReactionModel[], clearDeletedText = false): Entity {
    return messageEntity(message, {
      user: this.requireUser(message.userId),
      reactions,
      users: (id) => this.requireUser(id),
      clearDeletedText,
    });
  }

  /** The exported shape of one message, or undefined for an unknown id. */
  message(id: string): Entity | undefined {
    const found = this.findMessage(id);
    return found && this.messageEntity(found.message, found.reactions);
  }

  /** What query channels answers with `state: true`: the first members, and the latest messages shown in the channel (no thread replies), oldest first. */
  channelState(channel: ChannelModel, limits: { members: number; messages: number }): { members: Entity[]; messages: Entity[] } {
    const members = channel.members.slice(0, limits.members).map((member) => memberEntity(member, this.requireUser(member.userId)));
    const latest: [MessageModel, ReactionModel[]][] = [];
    for (const found of this.channelMessages(channel, {}, false)) {
      if (found[0].parentId !== undefined) continue;
      latest.push(found);
      if (latest.length > limits.messages) latest.shift();
    }
    return { members, messages: latest.map(([message, reactions]) => this.messageEntity(message, reactions)) };
  }

  /** A channel's messages (oldest first) with their reactions, within the window. */
  *channelMessages(channel: ChannelModel, window: Omit<ChannelWindow, 'cid'>, includeTruncated: boolean): Generator<[MessageModel, ReactionModel[]]> {
    let after = window.since;
    if (channel.truncatedAt !== undefined && !includeTruncated) after = Math.max(after ?? -Infinity, channel.truncatedAt);
    const inWindow = (at: Micros) => (after === undefined || at > after) && (window.until === undefined || at <= window.until);
    const first = after === undefined ? 0 : firstGeneratedAfter(this.seed, channel, after);
    const end = window.until === undefined ? channel.generatedMessages : firstGeneratedAfter(this.seed, channel, window.until);
    for (let i = first; i < end; i++) {
      const found = this.messageAt(channel, { generated: i });
      if (found) yield found;
    }
    const added = this.mutations.messages.get(channel.cid) ?? [];
    for (let k = 0; k < added.length; k++) {
      const found = inWindow((added[k] as MessageModel).createdAt) ? this.messageAt(channel, { added: k }) : undefined;
      if (found) yield found;
    }
  }

  /**
   * The entities of a channel export, in file order: per channel its channel line, its members, then its
   * messages oldest first, each followed by its reactions; finally one user line per member of the
   * exported channels (authors and reactors are always members), sorted by id.
   */
  *exportEntities(selection: ExportSelection): Generator<ExportEntity> {
    const userIds = new Set<string>();
    for (const window of selection.channels) {
      const channel = this.requireChannel(window.cid);
      if (channel.deletedAt !== undefined && !selection.includeSoftDeleted) continue;
      const cid = channel.cid;
      yield { type: 'channel', cid, data: this.channelEntity(channel) };
      for (const member of channel.members) {
        userIds.add(member.userId);
        yield { type: 'member', cid, data: memberEntity(member, this.requireUser(member.userId)) };
      }
      for (const [message, reactions] of this.channelMessages(channel, window, selection.includeTruncated ?? false)) {
        yield { type: 'message', cid, data: this.messageEntity(message, reactions, selection.clearDeletedText) };
        for (const reaction of reactions) {
          yield { type: 'reaction', cid, data: reactionEntity(reaction, this.requireUser(reaction.userId)) };
        }
      }
    }
    for (const id of [...userIds].sort()) yield { type: 'user', data: userEntity(this.requireUser(id)) };
  }

  /**
   * The entities of a user export: per user, in the order asked, the user line, then every message they
   * wrote (all channels, truncated and soft-deleted included: it is a personal-data export), then every
   * reaction they gave.
   */
  *userExportEntities(userIds: string[]): Generator<ExportEntity> {
    for (const id of userIds) {
      yield { type: 'user', data: userEntity(this.requireUser(id)) };
      const channels = this.allChannels().filter((channel) => channel.members.some((member) => member.userId === id));
      for (const channel of channels) {
        for (const [message, reactions] of this.channelMessages(channel, {}, true)) {
          if (message.userId === id) yield { type: 'message', cid: channel.cid, data: this.messageEntity(message, reactions) };
        }
      }
      for (const channel of channels) {
        for (const [, reactions] of this.channelMessages(channel, {}, true)) {
          for (const reaction of reactions) {
            if (reaction.userId === id) yield { type: 'reaction', cid: channel.cid, data: reactionEntity(reaction, this.requireUser(id)) };
          }
        }
      }
    }
  }

  private selectionFor(options: GroundTruthOptions): ExportSelection {
    const instant = (value: string | Date | undefined) => {
      if (value === undefined) return undefined;
      const micros = value instanceof Date ? dateToMicros(value) : parseMicros(value);
      if (micros === undefined) throw new Error(`emulator data set: not an RFC3339 date-time: "${String(value)}"`);
      return micros;
    };
    const since = instant(options.since);
    const until = instant(options.until);
    const cids = options.cids ?? this.allChannels().map((channel) => channel.cid);
    return {
      channels: cids.map((cid) => ({ cid, since, until })),
      includeTruncated: options.includeTruncated,
      includeSoftDeleted: options.includeSoftDeleted,
    };
  }

  /** Ground truth: the entities an export of the selected channels would contain, in file order. */
  entities(options: GroundTruthOptions = {}): Generator<ExportEntity> {
    return this.exportEntities(this.selectionFor(options));
  }

  private *ofType(type: EntityType, options: GroundTruthOptions, withCid: boolean): Generator<Entity> {
    for (const entity of this.entities(options)) {
      if (entity.type === type) yield withCid ? { cid: entity.cid, ...entity.data } : entity.data;
    }
  }

  channels(options: GroundTruthOptions = {}): Generator<Entity> {
    return this.ofType('channel', options, false);
  }

  /** Member entities plus the `cid` of their channel. */
  members(options: GroundTruthOptions = {}): Generator<Entity> {
    return this.ofType('member', options, true);
  }

  messages(options: GroundTruthOptions = {}): Generator<Entity> {
    return this.ofType('message', options, false);
  }

  /** Reaction entities plus the `cid` of their message's channel. */
  reactions(options: GroundTruthOptions = {}): Generator<Entity> {
    return this.ofType('reaction', options, true);
  }

  users(options: GroundTruthOptions = {}): Generator<Entity> {
    return this.ofType('user', options, false);
  }

  /** The messages of a channel, generated and added, whatever their window (query channels' message_count). */
  messageCount(channel: ChannelModel): number {
    return channel.generatedMessages + (this.mutations.messages.get(channel.cid)?.length ?? 0);
  }

  /** Walks the whole selection: linear in the number of messages. */
  counts(options: GroundTruthOptions = {}): EntityCounts {
    const counts: EntityCounts = { channels: 0, members: 0, messages: 0, reactions: 0, users: 0 };
    for (const entity of this.entities(options)) counts[`${entity.type}s`]++;
    return counts;
  }
}

/** The data set: deterministic from the seed, plus mutations made while the emulator runs. */
export class DataSet extends DataView {
  constructor(options: DataSetOptions) {
    const lonely = options.lonelyUsers ?? DEFAULT_LONELY_USERS;
    const users = Array.from({ length: Math.max(2, options.usersCount) + lonely }, (_, i) => generateUser(options.seed, i, options.userIdStyle));
    const createdAt = options.channelsCreatedAt;
    const generated = Array.from({ length: options.channels }, (_, i) => {
      const channel = generateChannel(options, i);
      return createdAt === undefined ? channel : { ...channel, createdAt, updatedAt: Math.max(channel.updatedAt, createdAt) };
    });
    const imported = options.importedChannels;
    const channels = imported ? [...generated, ...generateImportedChannels(options, imported, generated.length)] : generated;
    super(
      {
        options,
        users,
        usersById: new Map(users.map((user) => [user.id, user])),
        channels,
        channelIndexByCid: new Map(channels.map((channel) => [channel.cid, channel.index])),
      },
      {
        channels: [],
        addedIndexByCid: new Map(),
        channelPatches: new Map(),
        members: new Map(),
        removedMembers: new Map(),
        deletedMessages: new Map(),
        removedReactions: new Map(),
        messages: new Map(),
        edits: new Map(),
        reactions: new Map(),
        replies: new Map(),
        users: new Map(),
        addedUserIds: [],
        hardDeletedUserIds: new Set(),
        deletedChannels: new Set(),
        lastInstant: 0,
      },
    );
  }

  /** A frozen copy of the current data: what an export requested now contains, whatever changes later. */
  snapshot(): DataView {
    return new DataView(this.universe, structuredClone(this.mutations));
  }

  /** The emulator clock in µs, never before a stamp already given (reads only: the next stamp is later). */
  clockMicros(): Micros {
    return Math.max(dateToMicros(this.universe.options.now()), this.mutations.lastInstant);
  }

  /** The emulator clock in µs, strictly increasing across calls. */
  private tick(): Micros {
    const now = dateToMicros(this.universe.options.now());
    this.mutations.lastInstant = Math.max(now, this.mutations.lastInstant + 1);
    return this.mutations.lastInstant;
  }

  private requireUndeletedUser(id: string): UserModel {
    const user = this.requireUser(id);
    if (this.isDeleted(user)) throw new Error(`emulator data set: user "${id}" is deleted`);
    return user;
  }

  /** Deleted and deactivated users can no longer post, react or join. */
  private requireActiveUser(id: string): UserModel {
    const user = this.requireUndeletedUser(id);
    if (user.deactivatedAt !== undefined) throw new Error(`emulator data set: user "${id}" is deactivated`);
    return user;
  }

  private isActive(id: string): boolean {
    const user = this.user(id);
    return user !== undefined && !this.isDeleted(user) && user.deactivatedAt === undefined;
  }

  private ensureMember(channel: ChannelModel, userId: string): void {
    this.requireActiveUser(userId);
    if (channel.members.some((member) => member.userId === userId)) return;
    const added = this.mutations.members.get(channel.cid) ?? [];
    const member: MemberModel = { userId, role: 'member', createdAt: this.tick() };
    added.push(member);
    this.mutations.members.set(channel.cid, added);
  }

  /** Adds messages created now (emulator clock), each later than every earlier message. */
  addMessages(cid: string, count: number, options: AddMessageOptions = {}): Entity[] {
    const channel = this.requireChannel(cid);
    const parent = options.parentId === undefined ? undefined : this.findMessage(options.parentId);
    if (options.parentId !== undefined && parent?.channel.cid !== cid) {
      throw new Error(`emulator data set: no message "${options.parentId}" in channel "${cid}"`);
    }
    if (options.userId !== undefined) this.ensureMember(channel, options.userId);
    const authors = channel.members.filter((member) => this.isActive(member.userId));
    if (options.userId === undefined && authors.length === 0) throw new Error(`emulator data set: channel "${cid}" has no active member to post`);
    const list = this.mutations.messages.get(cid) ?? [];
    this.mutations.messages.set(cid, list);
    const created: Entity[] = [];
    for (let k = 0; k < count; k++) {
      const userId = options.userId ?? (authors[k % authors.length] as MemberModel).userId;
      const createdAt = Math.max(this.tick(), (list[list.length - 1]?.createdAt ?? this.lastMessageAt(channel) ?? 0) + 1);
      this.mutations.lastInstant = createdAt;
      const message: MessageModel = {
        id: `msg-${channel.index}-a${list.length}`,
        cid,
        userId,
        type: parent ? 'reply' : 'regular',
        text: options.text ?? messageText(this.seed, channel.index, -1, list.length),
        createdAt,
        updatedAt: createdAt,
        replyCount: 0,
      };
      if (parent) {
        message.parentId = parent.message.id;
        this.mutations.replies.set(parent.message.id, (this.mutations.replies.get(parent.message.id) ?? 0) + 1);
      }
      list.push(message);
      created.push(this.messageEntity(message, []));
    }
    return created;
  }

  /** Adds (or, for the same user and type, refreshes) a reaction; the message's updated_at does not change. */
  addReaction(messageId: string, userId: string, type: string): Entity {
    const found = this.findMessage(messageId);
    if (!found) throw new Error(`emulator data set: no message "${messageId}"`);
    this.ensureMember(found.channel, userId);
    const at = this.tick();
    const previous = found.reactions.find((reaction) => reaction.userId === userId && reaction.type === type);
    const reaction: ReactionModel = { messageId, userId, type, score: 1, createdAt: previous?.createdAt ?? at, updatedAt: at };
    const added = (this.mutations.reactions.get(messageId) ?? []).filter((other) => !sameReaction(other, reaction));
    this.mutations.reactions.set(messageId, [...added, reaction]);
    return reactionEntity(reaction, this.requireUser(userId));
  }

  /** Takes a reaction back: gone from exports; the message's updated_at does not change. */
  removeReaction(messageId: string, userId: string, type: string): void {
    const found = this.findMessage(messageId);
    const reaction = found?.reactions.find((other) => other.userId === userId && other.type === type);
    if (!reaction) throw new Error(`emulator data set: no reaction "${type}" of "${userId}" on "${messageId}"`);
    const added = this.mutations.reactions.get(messageId) ?? [];
    this.mutations.reactions.set(
      messageId,
      added.filter((other) => !sameReaction(other, reaction)),
    );
    const removed = this.mutations.removedReactions.get(messageId) ?? new Set<string>();
    removed.add(reactionKey(reaction));
    this.mutations.removedReactions.set(messageId, removed);
  }

  /**
   * Soft (default): `type: deleted`, deleted_at = updated_at = now, the text kept (exports clear it when
   * asked). Hard: gone from exports and lookups, its reactions with it.
   */
  deleteMessage(id: string, options: DeleteOptions = {}): Entity | undefined {
    const found = this.findMessage(id);
    if (!found) throw new Error(`emulator data set: no message "${id}"`);
    const previous = this.mutations.deletedMessages.get(id);
    this.mutations.deletedMessages.set(id, { hard: options.hard === true, at: previous?.at ?? this.tick() });
    return options.hard ? undefined : this.message(id);
  }

  /** Changes the text (default: appends " (edited)"); updated_at and message_text_updated_at become now. */
  editMessage(id: string, text?: string): Entity {
    const found = this.findMessage(id);
    if (!found) throw new Error(`emulator data set: no message "${id}"`);
    this.mutations.edits.set(id, { text: text ?? `${found.message.text} (edited)`, updatedAt: this.tick() });
    return this.message(id) as Entity;
  }

  /** Sets custom fields and bumps updated_at to now. */
  updateChannel(cid: string, fields: Record<string, unknown>): Entity {
    const channel = this.requireChannel(cid);
    const previous = this.mutations.channelPatches.get(cid)?.fields;
    this.mutations.channelPatches.set(cid, { fields: { ...previous, ...fields }, updatedAt: this.tick() });
    return this.channelEntity(this.channelModel(channel.cid) as ChannelModel);
  }

  /** A new channel created now, without messages (add them with addMessages). */
  addChannel(options: AddChannelOptions = {}): Entity {
    const index = this.universe.channels.length + this.mutations.channels.length;
    const createdAt = options.createdAt === undefined ? this.tick() : this.instant(options.createdAt);
    const channel = this.newChannel(index, options.type, options.id ?? `added-${index}`, options.memberIds, createdAt, options.fields);
    return this.channelEntity(channel);
  }

  /**
   * Hard deletion: the channel is gone from query channels, ground truth and message lookups, and an
   * export naming it fails "Can't find channel". Exports requested before keep it (they hold a snapshot).
   */
  deleteChannel(cid: string): void {
    this.mutations.deletedChannels.add(this.requireChannel(cid).index);
  }

  /**
   * Soft deletion: deleted_at = updated_at = now; query channels no longer lists the channel, exports
   * skip it unless include_soft_deleted_channels, and its messages stay.
   */
  softDeleteChannel(cid: string): Entity {
    const channel = this.requireChannel(cid);
    const patch = this.mutations.channelPatches.get(cid);
    const at = this.tick();
    this.mutations.channelPatches.set(cid, { fields: patch?.fields ?? {}, updatedAt: at, deletedAt: channel.deletedAt ?? at });
    return this.channelEntity(this.requireChannel(cid));
  }

  /** Removes a member: gone from the channel's exports and member_count; the channel's updated_at does not change. */
  removeMember(cid: string, userId: string): void {
    const channel = this.requireChannel(cid);
    if (!channel.members.some((member) => member.userId === userId)) throw new Error(`emulator data set: "${userId}" is no member of "${cid}"`);
    const added = this.mutations.members.get(cid) ?? [];
    if (added.some((member) => member.userId === userId)) {
      this.mutations.members.set(
        cid,
        added.filter((member) => member.userId !== userId),
      );
      return;
    }
    const removed = this.mutations.removedMembers.get(cid) ?? new Set<string>();
    removed.add(userId);
    this.mutations.removedMembers.set(cid, removed);
  }

  /**
   * `count` new channels sharing one created_at (as after a bulk import), without messages; returns
   * their cids. Stream documents no order among channels that tie on a sort field.
   */
  addChannels(options: AddChannelsOptions): string[] {
    if (!Number.isInteger(options.count) || options.count < 0) throw new Error(`emulator data set: count must be an integer >= 0, got ${options.count}`);
    const first = this.universe.channels.length + this.mutations.channels.length;
    const createdAt = options.createdAt === undefined ? this.tick() : this.instant(options.createdAt);
    const prefix = options.idPrefix ?? `bulk-${first}`;
    const memberIds = options.memberIds ?? this.defaultMemberIds();
    return Array.from({ length: options.count }, (_, k) => {
      const id = `${prefix}-${String(k).padStart(5, '0')}`;
      return this.newChannel(first + k, options.type, id, memberIds, createdAt, { name: id }).cid;
    });
  }

  private putUser(user: UserModel): Entity {
    this.mutations.users.set(user.id, user);
    return fullUserEntity(user);
  }

  /** Sets profile or custom fields (`name`, `role`, `image`, anything custom); updated_at becomes now. */
  updateUser(id: string, fields: Record<string, unknown>): Entity {
    const user = this.requireUndeletedUser(id);
    const { name, role, ...custom } = customUserFields(fields);
    return this.putUser({
      ...user,
      name: optionalString('name', name) ?? user.name,
      role: optionalString('role', role) ?? user.role,
      fields: { ...user.fields, ...custom },
      updatedAt: this.tick(),
    });
  }

  /** A sign-up: a user in no channel, created_at = updated_at = now, never active yet. */
  addUser(options: AddUserOptions = {}): Entity {
    const n = this.mutations.addedUserIds.length;
    const id = options.id ?? `added-user-${String(n).padStart(4, '0')}`;
    if (this.user(id)) throw new Error(`emulator data set: user "${id}" already exists`);
    const { name, role, ...fields } = customUserFields(options.fields ?? {});
    const at = this.tick();
    this.mutations.addedUserIds.push(id);
    return this.putUser({
      id,
      name: options.name ?? optionalString('name', name) ?? `New user ${n}`,
      role: options.role ?? optionalString('role', role) ?? 'user',
      fields,
      createdAt: at,
      updatedAt: at,
    });
  }

  /** deactivated_at = now; updated_at does not move (Stream does not say it does: the worst case for a client). */
  deactivateUser(id: string): Entity {
    const user = this.requireUndeletedUser(id);
    return user.deactivatedAt === undefined ? this.putUser({ ...user, deactivatedAt: this.tick() }) : fullUserEntity(user);
  }

  /** banned: true; updated_at does not move. */
  banUser(id: string): Entity {
    return this.putUser({ ...this.requireUndeletedUser(id), banned: true });
  }

  /**
   * Soft: deleted_at = now (updated_at does not move) and query users no longer lists the user; returns
   * the copy exports now embed. Hard: the user is gone from query users and user exports; returns
   * nothing. Either way the members, messages and reactions naming the user stay, embedding the last copy,
   * but for the messages `options.messages` deletes (soft or hard, as deleteMessage).
   */
  deleteUser(id: string, options: DeleteUserOptions = {}): Entity | undefined {
    const user = this.requireUser(id);
    if (this.mutations.hardDeletedUserIds.has(id)) throw new Error(`emulator data set: user "${id}" is deleted`);
    if (options.messages !== undefined) this.deleteMessagesOf(id, options.messages === 'hard');
    if (options.hard) {
      this.mutations.hardDeletedUserIds.add(id);
      return undefined;
    }
    if (user.deletedAt === undefined) this.putUser({ ...user, deletedAt: this.tick() });
    return userEntity(this.requireUser(id));
  }

  private deleteMessagesOf(userId: string, hard: boolean): void {
    const ids = this.allChannels().flatMap((channel) =>
      [...this.channelMessages(channel, {}, true)].filter(([message]) => message.userId === userId).map(([message]) => message.id),
    );
    for (const id of ids) this.deleteMessage(id, { hard });
  }

  private instant(value: string | Date): Micros {
    const micros = value instanceof Date ? dateToMicros(value) : parseMicros(value);
    if (micros === undefined) throw new Error(`emulator data set: not an RFC3339 date-time: "${String(value)}"`);
    return micros;
  }

  /** The first two generated users still active (sign-ups never, whatever their ids). */
  private defaultMemberIds(): string[] {
    return this.universe.users
      .map((user) => user.id)
      .filter((id) => this.isActive(id))
      .slice(0, 2);
  }

  private newChannel(
    index: number,
    givenType: string | undefined,
    id: string,
    givenMembers: string[] | undefined,
    createdAt: Micros,
    fields?: Record<string, unknown>,
  ): ChannelModel {
    const type = givenType ?? this.universe.options.channelTypes[0] ?? 'messaging';
    const cid = `${type}:${id}`;
    if (this.channelModel(cid)) throw new Error(`emulator data set: channel "${cid}" already exists`);
    const memberIds = givenMembers ?? this.defaultMemberIds();
    if (memberIds.length === 0) throw new Error(`emulator data set: channel "${cid}" needs a member`);
    memberIds.forEach((userId) => this.requireActiveUser(userId));
    const channel: ChannelModel = {
      index,
      type,
      id,
      cid,
      createdAt,
      updatedAt: createdAt,
      createdById: memberIds[0] as string,
      fields: { name: id, ...fields },
      members: memberIds.map((userId, k) => ({ userId, role: k === 0 ? 'owner' : 'member', createdAt })),
      generatedMessages: 0,
      firstMessageAt: createdAt,
      messageStep: 1,
    };
    this.mutations.channels.push(channel);
    this.mutations.addedIndexByCid.set(cid, index);
    return channel;
  }
}
