import { USERS_PAGE_SIZE } from '../stream-api/users.js';
import type { RecentSet } from '../utils/recent-set.js';

export type WriteUser = (data: Record<string, unknown>, json: Uint8Array | undefined) => Promise<void> | undefined;

/**
 * The users that written records embed, kept for referential completeness: query users is where users
 * come from, but a user it no longer returns (deleted) still joins the records that name it, through the
 * copy they embed. Each user is looked up once in a while (a bounded memory of recent ids), a page of
 * 100 at a time; only those query users does not know are written.
 */
export class EmbeddedUsers {
  private pending: Array<{ id: string; data: Record<string, unknown>; json: Uint8Array | undefined }> = [];

  constructor(
    private readonly known: (ids: readonly string[]) => Promise<Set<string>>,
    private readonly write: WriteUser,
    private readonly recent: RecentSet,
  ) {}

  /** A promise (a lookup) once a page of users waits: no promise per user on the read path. */
  add(data: Record<string, unknown>, json: Uint8Array | undefined): Promise<void> | undefined {
    if (typeof data.id !== 'string' || !this.recent.add(data.id)) return undefined;
    this.pending.push({ id: data.id, data, json });
    return this.pending.length >= USERS_PAGE_SIZE ? this.flush() : undefined;
  }

  /** Looks up the users waiting and writes those query users does not know; before every checkpoint. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const known = await this.known(batch.map((user) => user.id));
    for (const user of batch) {
      if (known.has(user.id)) continue;
      const wait = this.write(user.data, user.json);
      if (wait) await wait;
    }
  }
}
