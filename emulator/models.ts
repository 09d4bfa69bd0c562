import type { Micros } from './time.js';

// Plain models the data set computes; entities.ts turns them into Stream's JSON shapes.

export interface UserModel {
  id: string;
  name: string;
  role: string;
  image?: string;
  favoriteColor?: string;
  /** Custom fields set at run time, flat at the top level of the user object. */
  fields?: Record<string, unknown>;
  createdAt: Micros;
  updatedAt: Micros;
  /** Absent for a user who never connected (a sign-up made server-side). */
  lastActive?: Micros;
  banned?: boolean;
  deactivatedAt?: Micros;
  /** Soft deletion; a hard-deleted user keeps the copy they had (the data set remembers the deletion). */
  deletedAt?: Micros;
}

export interface ChannelModel {
  /** Position among all channels, generated first then added; message ids carry it. */
  index: number;
  type: string;
  id: string;
  cid: string;
  createdAt: Micros;
  updatedAt: Micros;
  deletedAt?: Micros;
  truncatedAt?: Micros;
  createdById: string;
  /** Custom fields, flat at the top level of the channel object. */
  fields: Record<string, unknown>;
  members: MemberModel[];
  /** How many messages the seed generates for this channel (0 for channels added at run time). */
  generatedMessages: number;
  firstMessageAt: Micros;
  /** µs between consecutive generated messages. */
  messageStep: number;
}

export interface MemberModel {
  userId: string;
  role: 'owner' | 'member';
  createdAt: Micros;
}

export interface MessageModel {
  id: string;
  cid: string;
  userId: string;
  type: 'regular' | 'reply' | 'deleted';
  text: string;
  createdAt: Micros;
  updatedAt: Micros;
  deletedAt?: Micros;
  textUpdatedAt?: Micros;
  parentId?: string;
  replyCount: number;
  /** A custom field, present on some messages. */
  source?: string;
}

export interface ReactionModel {
  messageId: string;
  userId: string;
  type: string;
  score: number;
  createdAt: Micros;
  updatedAt: Micros;
}
