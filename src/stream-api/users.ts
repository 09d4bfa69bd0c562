import { z } from 'zod';
import { SystemError } from '../errors.js';

/** The users whose updated_at is after `after` (absent: all) up to `upTo` (absent: now). */
export interface UsersWindow {
  after?: string;
  upTo?: string;
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

function updatedIn(window: UsersWindow): Record<string, unknown> {
  const condition: Record<string, string> = {};
  if (window.after !== undefined) condition.$gt = window.after;
  if (window.upTo !== undefined) condition.$lte = window.upTo;
  return Object.keys(condition).length === 0 ? {} : { updated_at: condition };
}

/**
 * Every user updated in the window, deactivated ones included, a page at a time in the service's own id
 * order: each page asks for the ids after the last one it gave (no offset, so no cap), and only an empty
 * page ends the listing (a short one may not be the end). A page that ends where the one before did
 * would loop: an error.
 */
export async function* listUsers(query: QueryUsersPage, window: UsersWindow, signal?: AbortSignal, after?: string): AsyncGenerator<QueriedUser[]> {
  const updated = updatedIn(window);
  let last = after;
  for (;;) {
    const page = await query(payload(last === undefined ? updated : { ...updated, id: { $gt: last } }), signal);
    if (page.length === 0) return;
    const end = (page.at(-1) as QueriedUser).id;
    if (end === last || page.some((user) => user.id === last)) {
      throw new SystemError(`QueryUsers answered user ${end} again to a query for ids after it: it ignored the filter, and the listing would not end`, {
        context: { endpoint: 'QueryUsers' },
      });
    }
    yield page;
    last = end;
  }
}

/** Query users sends its payload in the URL: servers and proxies commonly refuse request lines past 8 KB. */
const MAX_PAYLOAD_CHARS = 7_000;

/** The ids in lookups whose encoded payload stays under MAX_PAYLOAD_CHARS, however long the ids. */
export function lookupChunks(ids: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = encodedLength(payload({ id: { $in: [] } }));
  for (const id of ids) {
    const grows = encodedLength(JSON.stringify(id)) + 3;
    if (current.length > 0 && size + grows > MAX_PAYLOAD_CHARS) {
      chunks.push(current);
      current = [];
      size = encodedLength(payload({ id: { $in: [] } }));
    }
    current.push(id);
    size += grows;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function encodedLength(value: unknown): number {
  return encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value)).length;
}

/**
 * Which of these ids (at most a page of them) query users knows, deactivated users included, in lookups
 * short enough for a URL: those an answer leaves out are asked again until an answer is empty (a short
 * answer proves nothing).
 */
export async function knownUserIds(query: QueryUsersPage, ids: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  if (ids.length > USERS_PAGE_SIZE) throw new SystemError(`At most ${USERS_PAGE_SIZE} users can be looked up at once, got ${ids.length}`);
  const known = new Set<string>();
  for (const part of lookupChunks(ids)) await lookUp(query, part, known, signal);
  return known;
}

async function lookUp(query: QueryUsersPage, ids: readonly string[], known: Set<string>, signal?: AbortSignal): Promise<void> {
  let open = [...ids];
  while (open.length > 0) {
    const users = await query(payload({ id: { $in: open } }), signal);
    const found = users.filter((user) => open.includes(user.id) && !known.has(user.id));
    if (found.length === 0) break;
    for (const user of found) known.add(user.id);
    open = open.filter((id) => !known.has(id));
  }
}
