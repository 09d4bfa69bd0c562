/** The reactions a v2 export held, and the messages it held them for. */
export interface ReactionList {
  /** The messages the export held: each with every reaction it has. */
  messageIds: string[];
  /** Their reactions, as reactionKey makes them. */
  keys: string[];
}

/** Between the parts of a key: no id or reaction type holds a control character. */
export const KEY_SEPARATOR = '\x01';

/** A reaction's primary key (message_id, user_id, type) as one string. */
export function reactionKey(messageId: string, userId: string, type: string): string {
  return `${messageId}${KEY_SEPARATOR}${userId}${KEY_SEPARATOR}${type}`;
}

/**
 * The messages of a v2 export and the reactions of its reaction lines: a v2 export holds every reaction
 * of each message it holds (v1 only the latest few, in `latest_reactions`: it proves nothing).
 */
export class ReactionLists {
  private readonly messageIds = new Set<string>();
  private readonly keys = new Set<string>();

  message(id: string): void {
    this.messageIds.add(id);
  }

  reaction(messageId: string, userId: string, type: string): void {
    this.keys.add(reactionKey(messageId, userId, type));
  }

  whole(): ReactionList {
    return { messageIds: [...this.messageIds], keys: [...this.keys] };
  }
}
