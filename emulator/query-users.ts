import { z } from 'zod';
import { inputError } from './api-error.js';
import type { DataView } from './data-set.js';
import { carryCustom, type CustomData } from './custom-data.js';
import { fullUserEntity, type Entity } from './entities.js';
import { compileFilter, SCALAR, type Fields, type Operator } from './filter.js';
import type { UserModel } from './models.js';
import { page, parse, querySchema, sortBy, type SortFields } from './query-request.js';
import type { QueryTurn } from './query-turns.js';
import { textKey } from './random.js';

// Query users (GET /users?payload=): the filter fields, operators and sort fields Stream documents, no
// others (stream-export-api.md §7.2). No user is on a team or has an email; deleted users are never listed,
// deactivated ones only with include_deactivated_users (Stream's default leaves them out).

const NEGATABLE: readonly Operator[] = [...SCALAR, '$ne', '$nin'];

const fields: Fields<UserModel> = {
  id: { kind: 'string', operators: [...NEGATABLE, '$autocomplete'], get: (u) => u.id },
  created_at: { kind: 'time', operators: SCALAR, get: (u) => u.createdAt },
  updated_at: { kind: 'time', operators: SCALAR, get: (u) => u.updatedAt },
  last_active: { kind: 'time', operators: SCALAR, get: (u) => u.lastActive },
  role: { kind: 'string', operators: NEGATABLE, get: (u) => u.role },
  name: { kind: 'string', operators: [...NEGATABLE, '$autocomplete'], get: (u) => u.name },
  banned: { kind: 'boolean', operators: ['$eq', '$ne'], get: (u) => u.banned === true },
  shadow_banned: { kind: 'boolean', operators: ['$eq', '$ne'], get: () => false },
  teams: { kind: 'string', operators: ['$contains', '$eq', '$in'], get: () => [] },
  email: { kind: 'string', operators: ['$eq', '$in'], get: () => undefined },
};

const sortFields: SortFields<UserModel> = {
  id: (u) => u.id,
  created_at: (u) => u.createdAt,
  updated_at: (u) => u.updatedAt,
  last_active: (u) => u.lastActive,
  name: (u) => u.name,
  role: (u) => u.role,
};

const payloadSchema = querySchema.extend({ filter_conditions: z.record(z.string(), z.unknown()), include_deactivated_users: z.boolean().optional() });

export function queryUsers(view: DataView, payload: string | null, turn: QueryTurn, shape: CustomData): { users: Entity[] } {
  if (payload === null) throw inputError('payload is required');
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    throw inputError('payload is not valid JSON');
  }
  const request = parse(payloadSchema, body);
  const matches = compileFilter(request.filter_conditions, fields);
  const sort = request.sort ?? [
    { field: 'created_at', direction: -1 },
    { field: 'id', direction: -1 },
  ];
  // Ids are unique, so a sort on id has no ties; any other sort orders its ties anew at every request.
  const found = sortBy(view.listedUsers(request.include_deactivated_users === true).filter(matches), sort, sortFields, (u) => textKey(turn.tieSalt, u.id));
  return { users: page(found, request, { defaultLimit: 30, maxLimit: 100 }, turn).map((user) => carryCustom('user', fullUserEntity(user), shape)) };
}
