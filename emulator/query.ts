import { z } from 'zod';
import { inputError } from './api-error.js';
import type { DataView } from './data-set.js';
import { userEntity, type Entity } from './entities.js';
import type { ChannelModel, UserModel } from './models.js';
import { parseMicros } from './time.js';

// Query channels (POST /channels) and query users (GET /users?payload=): MongoDB-style filters on the
// few fields a connector pages with, sort, limit and offset with Stream's caps (stream-export-api.md §7).

type Value = string | number;

interface Field<T> {
  kind: 'string' | 'time' | 'number';
  /** One value, or several for a multi-valued field such as members (matches when any value does). */
  get: (item: T) => Value | Value[] | undefined;
}

type Fields<T> = Record<string, Field<T>>;
type Predicate<T> = (item: T) => boolean;

const OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte'] as const;
type Operator = (typeof OPERATORS)[number];

function operand(field: string, kind: Field<unknown>['kind'], value: unknown): Value {
  if (kind === 'time' && typeof value === 'string') {
    const micros = parseMicros(value);
    if (micros !== undefined) return micros;
  } else if (kind === 'string' && typeof value === 'string') {
    return value;
  } else if (kind === 'number' && typeof value === 'number') {
    return value;
  }
  throw inputError(`field "${field}" expects ${kind === 'time' ? 'an RFC3339 date-time' : `a ${kind}`}, got ${JSON.stringify(value)}`);
}

function compare(operator: Operator, value: Value, target: Value | Value[]): boolean {
  switch (operator) {
    case '$eq':
    case '$ne':
      return value === target;
    case '$in':
    case '$nin':
      return (target as Value[]).includes(value);
    case '$gt':
      return value > (target as Value);
    case '$gte':
      return value >= (target as Value);
    case '$lt':
      return value < (target as Value);
    case '$lte':
      return value <= (target as Value);
  }
}

function fieldPredicate<T>(name: string, field: Field<T>, condition: unknown): Predicate<T>[] {
  const conditions =
    condition !== null && typeof condition === 'object' && !Array.isArray(condition) ? Object.entries(condition) : [['$eq', condition] as [string, unknown]];
  return conditions.map(([operator, raw]) => {
    if (!(OPERATORS as readonly string[]).includes(operator)) throw inputError(`operator ${operator} is not supported for field "${name}"`);
    const op = operator as Operator;
    const listed = op === '$in' || op === '$nin';
    if (listed && !Array.isArray(raw)) throw inputError(`operator ${op} on field "${name}" expects an array`);
    const target = listed ? (raw as unknown[]).map((v) => operand(name, field.kind, v)) : operand(name, field.kind, raw);
    const negated = op === '$ne' || op === '$nin';
    return (item: T) => {
      const got = field.get(item);
      const values = got === undefined ? [] : Array.isArray(got) ? got : [got];
      const any = values.some((value) => compare(op, value, target));
      return negated ? !any : any;
    };
  });
}

function compileFilter<T>(filter: unknown, fields: Fields<T>): Predicate<T> {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw inputError('filter_conditions must be an object');
  const predicates: Predicate<T>[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(condition)) throw inputError(`${key} expects an array of filters`);
      const parts = condition.map((part) => compileFilter(part, fields));
      predicates.push(key === '$and' ? (item) => parts.every((p) => p(item)) : (item) => parts.some((p) => p(item)));
      continue;
    }
    const field = fields[key];
    if (!field) throw inputError(`field "${key}" is not supported by the emulator (supported: ${Object.keys(fields).join(', ')})`);
    predicates.push(...fieldPredicate(key, field, condition));
  }
  return (item) => predicates.every((p) => p(item));
}

const sortSchema = z.array(z.object({ field: z.string(), direction: z.union([z.literal(1), z.literal(-1)]) }));

function sorter<T>(sort: z.infer<typeof sortSchema>, fields: Fields<T>): (a: T, b: T) => number {
  for (const { field } of sort) {
    if (!fields[field]) throw inputError(`cannot sort by "${field}" (supported: ${Object.keys(fields).join(', ')})`);
  }
  return (a, b) => {
    for (const { field, direction } of sort) {
      const get = (fields[field] as Field<T>).get;
      const x = get(a) ?? '';
      const y = get(b) ?? '';
      if (x < y) return -direction;
      if (x > y) return direction;
    }
    return 0;
  };
}

function page<T>(items: T[], limit: number | undefined, offset: number | undefined, caps: { defaultLimit: number; maxLimit: number }): T[] {
  const size = limit ?? caps.defaultLimit;
  const skip = offset ?? 0;
  if (size < 0 || size > caps.maxLimit) throw inputError(`limit must be between 0 and ${caps.maxLimit}`);
  if (skip < 0 || skip > 1000) throw inputError('offset must be between 0 and 1000');
  return items.slice(skip, skip + size);
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw inputError(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const querySchema = z.object({
  filter_conditions: z.record(z.string(), z.unknown()).optional(),
  sort: sortSchema.optional(),
  limit: z.number().int().optional(),
  offset: z.number().int().optional(),
});

export function queryChannels(view: DataView, body: unknown): { channels: Entity[] } {
  const request = parse(querySchema, body);
  const lastMessageAt = (channel: ChannelModel) => view.lastMessageAt(channel);
  const fields: Fields<ChannelModel> = {
    type: { kind: 'string', get: (c) => c.type },
    id: { kind: 'string', get: (c) => c.id },
    cid: { kind: 'string', get: (c) => c.cid },
    members: { kind: 'string', get: (c) => c.members.map((member) => member.userId) },
    created_at: { kind: 'time', get: (c) => c.createdAt },
    updated_at: { kind: 'time', get: (c) => c.updatedAt },
    last_message_at: { kind: 'time', get: lastMessageAt },
    last_updated: { kind: 'time', get: (c) => Math.max(c.updatedAt, lastMessageAt(c) ?? 0) },
    member_count: { kind: 'number', get: (c) => c.members.length },
  };
  const matches = compileFilter(request.filter_conditions ?? {}, fields);
  const order = sorter([...(request.sort ?? [{ field: 'last_updated', direction: -1 }]), { field: 'cid', direction: 1 }], fields);
  const found = view
    .allChannels()
    .filter((channel) => channel.deletedAt === undefined && matches(channel))
    .sort(order);
  return {
    channels: page(found, request.limit, request.offset, { defaultLimit: 10, maxLimit: 30 }).map((channel) => ({
      channel: { ...view.channelEntity(channel), message_count: view.messageCount(channel) },
      members: [],
      messages: [],
      pinned_messages: [],
      read: [],
      watcher_count: 0,
    })),
  };
}

const payloadSchema = querySchema.extend({ filter_conditions: z.record(z.string(), z.unknown()) });

export function queryUsers(view: DataView, payload: string | null): { users: Entity[] } {
  if (payload === null) throw inputError('payload is required');
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    throw inputError('payload is not valid JSON');
  }
  const request = parse(payloadSchema, body);
  const fields: Fields<UserModel> = {
    id: { kind: 'string', get: (u) => u.id },
    role: { kind: 'string', get: (u) => u.role },
    name: { kind: 'string', get: (u) => u.name },
    created_at: { kind: 'time', get: (u) => u.createdAt },
    updated_at: { kind: 'time', get: (u) => u.updatedAt },
  };
  const matches = compileFilter(request.filter_conditions, fields);
  const sort = request.sort ?? [
    { field: 'created_at', direction: -1 },
    { field: 'id', direction: -1 },
  ];
  const found = view.allUsers().filter(matches).sort(sorter(sort, fields));
  return { users: page(found, request.limit, request.offset, { defaultLimit: 30, maxLimit: 100 }).map((user) => userEntity(user)) };
}
