/**
 * Stream's regular APIs cap a channel's member list at 100: an export holding this many members of a
 * channel may hold only some of them, and so proves nothing of the others.
 */
export const MEMBER_LIST_CAP = 100;

/** A channel's whole member list, as an export held it. */
export interface MemberList {
  cid: string;
  userIds: string[];
}

/**
 * The member lists of the channels an export held: a channel's line, then each member line. Every
 * member line counts, written or not (a member not updated since the last sync is still a member).
 */
export class MemberLists {
  private readonly lists = new Map<string, Set<string>>();
  private readonly channels = new Set<string>();

  channel(cid: string): void {
    this.channels.add(cid);
  }

  member(cid: string, userId: string): void {
    const list = this.lists.get(cid) ?? new Set<string>();
    list.add(userId);
    this.lists.set(cid, list);
  }

  /** The lists that are whole: of channels whose line arrived, under the cap. */
  whole(): MemberList[] {
    return [...this.channels].map((cid) => ({ cid, userIds: [...(this.lists.get(cid) ?? [])].sort() })).filter((list) => list.userIds.length < MEMBER_LIST_CAP);
  }
}
