import { z } from 'zod';
import { SystemError } from '../errors.js';

/** The users whose updated_at is after `after` (absent: all) up to `upTo`. */
export interface UsersWindow {
  after?: string;
  upTo: string;
}

export interface QueryUsersPayload {
  filter_conditions: Record<string, unknown>;
  sort: { field: string; direction: 1 | -1 }[];
  limit: number;
  include_deactivated_users: true;
  presence: false;
}

/** A user as query users answers it: its id, and everything else as Stream sent it. */
export type QueriedUser = Record<string, unknown> & { id: string };

export type QueryUsersPage = (payload: QueryUsersPayload, signal?: AbortSignal) => Promise<QueriedUser[]>;

export const queryUsersResponseSchema = z.looseObject({ users: z.array(z.looseObject({ id: z.string() })) });

/** Query users' largest page. */
export const USERS_PAGE_SIZE = 100;
/** `id` is unique and a documented sort field: keyset paging on it skips no user, whatever the ties on other fields. */
const BY_ID: QueryUsersPayload['sort'] = [{ field: 'id', direction: 1 }];

function payload(filter_conditions: Record<string, unknown>): QueryUsersPayload {
  return { filter_conditions, sort: BY_ID, limit: USERS_PAGE_SIZE, include_deactivated_users: true, presence: false };
}

/**
 * Every user updated in the window, deactivated ones included, a page at a time in ascending id order:
 * each page asks for the ids after the last one seen (no offset, so no cap).
 */
export async function* listUsers(query: QueryUsersPage, window: UsersWindow, signal?: AbortSignal): AsyncGenerator<QueriedUser[]> {
  const updated = window.after === undefined ? { $lte: window.upTo } : { $gt: window.after, $lte: window.upTo };
  let last: string | undefined;
  for (;;) {
    const page = await query(payload(last === undefined ? { updated_at: updated } : { updated_at: updated, id: { $gt: last } }), signal);
    for (const user of page) {
      const id = user.id;
      if (last !== undefined && id <= last) {
        throw new SystemError(`QueryUsers answered user ${id} to a query for ids after ${last}: it ignored the filter or the sort by id`, {
          context: { endpoint: 'QueryUsers' },
        });
      }
      last = id;
    }
    if (page.length > 0) yield page;
    if (page.length < USERS_PAGE_SIZE) return;
  }
}

/** Which of these ids (at most a page of them) query users knows, deactivated users included. */
export async function knownUserIds(query: QueryUsersPage, ids: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  if (ids.length > USERS_PAGE_SIZE) throw new SystemError(`At most ${USERS_PAGE_SIZE} users can be looked up at once, got ${ids.length}`);
  if (ids.length === 0) return new Set();
  const users = await query(payload({ id: { $in: [...ids] } }), signal);
  return new Set(users.map((user) => user.id));
}
