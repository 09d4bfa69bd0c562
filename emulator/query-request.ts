import { z } from 'zod';
import { inputError } from './api-error.js';
import { compareValues, type Value } from './collation.js';
import type { QueryTurn } from './query-turns.js';

// What query channels and query users share: sort, limit and offset with Stream's caps (stream-export-api.md §7).

const sortItem = z.object({ field: z.string(), direction: z.union([z.literal(1), z.literal(-1)]), type: z.string().optional() });

export const querySchema = z.object({
  filter_conditions: z.record(z.string(), z.unknown()).optional(),
  sort: z.array(sortItem).max(5).optional(),
  limit: z.number().int().optional(),
  offset: z.number().int().optional(),
});

export type Sort = z.infer<typeof sortItem>[];

/** Sortable fields; an item lacking a value sorts last (see sortBy). */
export type SortFields<T> = Record<string, (item: T) => Value | undefined>;

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw inputError(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * Sorts by the requested fields, refusing any other (code 4). An item lacking a key's value sorts after
 * every item that has one, in either direction. Items equal on every key come in the order of `tieKey`
 * (salted per request by the caller), never by cid or id: Stream documents no order among ties.
 */
export function sortBy<T>(items: T[], sort: Sort, fields: SortFields<T>, tieKey: (item: T) => number): T[] {
  const getters = sort.map(({ field, direction }) => {
    const get = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (!get) throw inputError(`sort field ${field} is not supported (supported: ${Object.keys(fields).join(', ')})`);
    return { get, direction };
  });
  const decorated = items.map((item) => ({ item, keys: getters.map(({ get }) => get(item)), tie: tieKey(item) }));
  decorated.sort((a, b) => {
    for (let k = 0; k < getters.length; k++) {
      const x = a.keys[k];
      const y = b.keys[k];
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
        continue;
      }
      const order = compareValues(x, y);
      if (order !== 0) return order * (getters[k] as { direction: number }).direction;
    }
    return a.tie - b.tie;
  });
  return decorated.map(({ item }) => item);
}

/** The page at limit and offset; on a short turn, a non-empty prefix of it (a page of one row stays whole). */
export function page<T>(items: T[], request: { limit?: number; offset?: number }, caps: { defaultLimit: number; maxLimit: number }, turn: QueryTurn): T[] {
  const { limit, offset } = request;
  const size = limit ?? caps.defaultLimit;
  const skip = offset ?? 0;
  if (size < 0 || size > caps.maxLimit) throw inputError(`limit must be between 0 and ${caps.maxLimit}`);
  if (skip < 0 || skip > 1000) throw inputError('offset must be between 0 and 1000');
  const rows = items.slice(skip, skip + size);
  if (turn.shortAt === undefined || rows.length < 2) return rows;
  return rows.slice(0, 1 + Math.floor(turn.shortAt * (rows.length - 1)));
}
