import { inputError } from './api-error.js';
import { compareValues, type Value } from './collation.js';
import { parseMicros } from './time.js';

// The filter language of query channels and query users (stream-export-api.md §7): each field accepts
// only the operators Stream documents for it, so a filter Stream may refuse is refused here (400, code 4).
// Equality is exact; ranges on strings follow the collation, not JavaScript's `<`.

export type { Value } from './collation.js';

export type Operator = '$eq' | '$ne' | '$in' | '$nin' | '$gt' | '$gte' | '$lt' | '$lte' | '$exists' | '$autocomplete' | '$contains';

export interface Field<T> {
  kind: 'string' | 'time' | 'number' | 'boolean';
  operators: readonly Operator[];
  /** One value, several for a multi-valued field (it matches when any value does), or undefined when absent. */
  get: (item: T) => Value | Value[] | undefined;
}

export type Fields<T> = Record<string, Field<T>>;
export type Predicate<T> = (item: T) => boolean;

/** `$eq $exists $gt $gte $in $lt $lte`: what most query-users fields accept. */
export const SCALAR: readonly Operator[] = ['$eq', '$exists', '$gt', '$gte', '$in', '$lt', '$lte'];

const KNOWN = new Set<string>(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$autocomplete', '$contains']);

function operand(field: string, kind: Field<unknown>['kind'], value: unknown): Value {
  if (kind === 'time' && typeof value === 'string') {
    const micros = parseMicros(value);
    if (micros !== undefined) return micros;
  } else if (
    (kind === 'string' && typeof value === 'string') ||
    (kind === 'number' && typeof value === 'number') ||
    (kind === 'boolean' && typeof value === 'boolean')
  ) {
    return value;
  }
  throw inputError(`field ${field} expects ${kind === 'time' ? 'an RFC3339 date-time' : `a ${kind}`}, got ${JSON.stringify(value)}`);
}

function words(text: string): string[] {
  return text.toLowerCase().split(/\s+/);
}

function test(operator: Operator, values: Value[], target: Value | Value[]): boolean {
  switch (operator) {
    case '$eq':
    case '$contains':
      return values.includes(target as Value);
    case '$ne':
      return !values.includes(target as Value);
    case '$in':
      return values.some((value) => (target as Value[]).includes(value));
    case '$nin':
      return !values.some((value) => (target as Value[]).includes(value));
    case '$gt':
      return values.some((value) => compareValues(value, target as Value) > 0);
    case '$gte':
      return values.some((value) => compareValues(value, target as Value) >= 0);
    case '$lt':
      return values.some((value) => compareValues(value, target as Value) < 0);
    case '$lte':
      return values.some((value) => compareValues(value, target as Value) <= 0);
    case '$exists':
      return values.length > 0 === target;
    case '$autocomplete': {
      const prefix = (target as string).toLowerCase();
      return values.some((value) => typeof value === 'string' && words(value).some((word) => word.startsWith(prefix)));
    }
  }
}

function target(name: string, kind: Field<unknown>['kind'], operator: Operator, raw: unknown): Value | Value[] {
  if (operator === '$in' || operator === '$nin') {
    if (!Array.isArray(raw)) throw inputError(`operator ${operator} on field ${name} expects an array`);
    return raw.map((value) => operand(name, kind, value));
  }
  if (operator === '$exists') {
    if (typeof raw !== 'boolean') throw inputError(`operator $exists on field ${name} expects a boolean`);
    return raw;
  }
  if (operator === '$autocomplete' && typeof raw !== 'string') throw inputError(`operator $autocomplete on field ${name} expects a string`);
  return operand(name, kind, raw);
}

function fieldPredicates<T>(name: string, field: Field<T>, condition: unknown): Predicate<T>[] {
  const isOperators = condition !== null && typeof condition === 'object' && !Array.isArray(condition);
  const conditions = isOperators ? Object.entries(condition) : [['$eq', condition] as [string, unknown]];
  if (conditions.length === 0) throw inputError(`field ${name} needs an operator`);
  return conditions.map(([key, raw]) => {
    if (!KNOWN.has(key)) throw inputError(`operator ${key} is not supported`);
    const operator = key as Operator;
    if (!field.operators.includes(operator))
      throw inputError(`operator ${operator} is not supported for field ${name} (supported: ${field.operators.join(' ')})`);
    const expected = target(name, field.kind, operator, raw);
    return (item: T) => {
      const got = field.get(item);
      return test(operator, got === undefined ? [] : Array.isArray(got) ? got : [got], expected);
    };
  });
}

/**
 * Compiles filter_conditions; throws code 4 for an unknown field, an operator the field does not accept,
 * a bad value, or a logical operator other than `$and` and `$or` (`$nor` is documented for neither query).
 */
export function compileFilter<T>(filter: unknown, fields: Fields<T>): Predicate<T> {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw inputError('filter_conditions must be an object');
  const predicates: Predicate<T>[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(condition) || condition.length === 0) throw inputError(`${key} expects a non-empty array of filters`);
      const parts = condition.map((part) => compileFilter(part, fields));
      predicates.push(key === '$and' ? (item) => parts.every((part) => part(item)) : (item) => parts.some((part) => part(item)));
      continue;
    }
    if (key.startsWith('$')) throw inputError(`operator ${key} is not supported (logical operators: $and $or)`);
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!field) throw inputError(`field ${key} is not supported (supported: ${Object.keys(fields).join(', ')})`);
    predicates.push(...fieldPredicates(key, field, condition));
  }
  return (item) => predicates.every((predicate) => predicate(item));
}
