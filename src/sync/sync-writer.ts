import type { MemberList } from './member-lists.js';
import type { MessageProof } from './message-lists.js';
import type { ReactionList } from './reaction-lists.js';
import type { MessageWriter } from '../protocol/writer.js';

/**
 * Where a sync's output goes: stdout as Airbyte messages (MessageWriter), or another sink such as a
 * local database. A returned promise means "full: await me before writing more". A state covers
 * every record written before it.
 */
export type SyncWriter = Pick<MessageWriter, 'record' | 'state' | 'log' | 'streamStatus' | 'estimate'> & {
  /** Exports written so far of those planned: told once planned (0), then after each one written. */
  exportsWritten?(done: number, planned: number): void;
  /**
   * The whole member lists of channels an export held, told after its records and before the state
   * that covers them: a mirror deletes the other members of those channels. Told only of an export
   * read to its end with no line skipped, and only when the members stream is selected.
   */
  memberLists?(lists: readonly MemberList[]): void;
  /** As memberLists, for the reactions of the messages a v2 export held: a mirror deletes their other reactions. */
  reactionLists?(list: ReactionList): void;
  /** As memberLists, for the messages created in the windows of an export: a mirror deletes the channels' other messages created in them, and their reactions. */
  messageLists?(proof: MessageProof): void;
};
