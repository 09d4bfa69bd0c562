import { z } from 'zod';
import { inputError } from './api-error.js';
import type { Value } from './filter.js';

// What query channels and query users share: sort, limit and offset with Stream's caps (stream-export-api.md §7).

const sortItem = z.object({ field: z.string(), direction: z.union([z.literal(1), z.literal(-1)]), type: z.string().optional() });

export const querySchema = z.object({
  filter_conditions: z.record(z.string(), z.unknown()).optional(),
  sort: z.array(sortItem).max(5).optional(),
  limit: z.number().int().optional(),
  offset: z.number().int().optional(),
});

export type Sort = z.infer<typeof sortItem>[];

/** Sortable fields; values a field lacks sort first. */
export type SortFields<T> = Record<string, (item: T) => Value | undefined>;

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw inputError(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function compareValues(x: Value | undefined, y: Value | undefined): number {
  if (x === y) return 0;
  if (x === undefined) return -1;
  if (y === undefined) return 1;
  const a = typeof x === 'boolean' ? Number(x) : x;
  const b = typeof y === 'boolean' ? Number(y) : y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts by the requested fields, refusing any other (code 4). Items equal on every key come in the
 * order of `tieKey`, never by cid or id: Stream documents no order among ties, and a client must not
 * lean on one.
 */
export function sortBy<T>(items: T[], sort: Sort, fields: SortFields<T>, tieKey: (item: T) => number): T[] {
  const getters = sort.map(({ field, direction }) => {
    const get = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (!get) throw inputError(`sort field "${field}" is not supported`);
    return { get, direction };
  });
  const decorated = items.map((item) => ({ item, keys: getters.map(({ get }) => get(item)), tie: tieKey(item) }));
  decorated.sort((a, b) => {
    for (let k = 0; k < getters.length; k++) {
      const order = compareValues(a.keys[k], b.keys[k]);
      if (order !== 0) return order * (getters[k] as { direction: number }).direction;
    }
    return a.tie - b.tie;
  });
  return decorated.map(({ item }) => item);
}

export function page<T>(items: T[], limit: number | undefined, offset: number | undefined, caps: { defaultLimit: number; maxLimit: number }): T[] {
  const size = limit ?? caps.defaultLimit;
  const skip = offset ?? 0;
  if (size < 0 || size > caps.maxLimit) throw inputError(`limit must be between 0 and ${caps.maxLimit}`);
  if (skip < 0 || skip > 1000) throw inputError('offset must be between 0 and 1000');
  return items.slice(skip, skip + size);
}
