import type { z } from 'zod';
import { SystemError } from '../errors.js';

/** Whether a value matches the schema it was compiled from; allocates nothing. */
export type Check = (value: unknown) => boolean;

/** The parts of zod's definitions the compiler reads (zod 4's `schema._zod.def`). */
interface Definition {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  format?: string;
  checks?: Array<{ _zod: { def: { check: string; format?: string; pattern?: RegExp } } }>;
}

/**
 * The schema's verdict as a plain function, compiled once: zod's safeParse builds a copy of the value
 * and a result for every record, valid or not, and records are valid almost always. It knows the
 * constructs the stream schemas use (loose objects, strings with patterns, numbers, integers,
 * booleans, arrays, string-keyed records, unknown, optional, nullable) and refuses any other, so a
 * schema cannot drift away from its check unnoticed. Where it says false, ask zod why.
 */
export function compileCheck(schema: z.ZodType): Check {
  const def = (schema as unknown as { _zod: { def: Definition } })._zod.def;
  switch (def.type) {
    case 'optional': {
      const inner = compileCheck(required(def.innerType, def));
      return (value) => value === undefined || inner(value);
    }
    case 'nullable': {
      const inner = compileCheck(required(def.innerType, def));
      return (value) => value === null || inner(value);
    }
    case 'unknown':
      return () => true;
    case 'boolean':
      return (value) => typeof value === 'boolean';
    case 'number':
      return numberCheck(def);
    case 'string':
      return stringCheck(def);
    case 'array': {
      const element = compileCheck(required(def.element, def));
      return (value) => Array.isArray(value) && value.every(element);
    }
    case 'record':
      return recordCheck(def);
    case 'object':
      return objectCheck(def);
    default:
      throw unsupported(def);
  }
}

function numberCheck(def: Definition): Check {
  if (def.checks !== undefined && def.checks.length > 0) throw unsupported(def);
  if (def.format === 'safeint') return (value) => Number.isSafeInteger(value);
  if (def.format !== undefined) throw unsupported(def);
  return (value) => typeof value === 'number' && Number.isFinite(value);
}

function stringCheck(def: Definition): Check {
  const patterns = (def.checks ?? []).map(({ _zod }) => {
    const { check, format, pattern } = _zod.def;
    if (check !== 'string_format' || format !== 'regex' || pattern === undefined || pattern.global || pattern.sticky) throw unsupported(def);
    return pattern;
  });
  const [pattern, ...more] = patterns;
  if (more.length > 0) throw unsupported(def);
  if (pattern === undefined) return (value) => typeof value === 'string';
  return (value) => typeof value === 'string' && pattern.test(value);
}

function recordCheck(def: Definition): Check {
  const keyDef = (required(def.keyType, def) as unknown as { _zod: { def: Definition } })._zod.def;
  if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0) throw unsupported(def);
  const item = compileCheck(required(def.valueType, def));
  return (value) => {
    if (!isPlainObject(value)) return false;
    for (const key in value) if (Object.hasOwn(value, key) && !item(value[key])) return false;
    return true;
  };
}

function objectCheck(def: Definition): Check {
  const catchall = def.catchall && (def.catchall as unknown as { _zod: { def: Definition } })._zod.def.type;
  // Only loose objects: a stripping or strict object would make the output differ from the input.
  if (catchall !== 'unknown') throw unsupported(def);
  const fields = new Map(Object.entries(def.shape ?? {}).map(([key, field]): [string, Check] => [key, compileCheck(field)]));
  // An absent key is read as undefined: only the fields that refuse it must be looked up when absent.
  const required = [...fields].filter(([, check]) => !check(undefined));
  // Objects are walked by their own keys: looking up the many absent optional fields one by one
  // would cost a trip down the prototype chain each.
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const object = value as Record<string, unknown>;
    for (const key in object) {
      const check = fields.get(key);
      if (check !== undefined && !check(object[key])) return false;
    }
    for (const [key, check] of required) if (!check(object[key])) return false;
    return true;
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function required(schema: z.ZodType | undefined, def: Definition): z.ZodType {
  if (schema === undefined) throw unsupported(def);
  return schema;
}

function unsupported(def: Definition): SystemError {
  return new SystemError(`compileCheck does not know the zod construct ${JSON.stringify({ type: def.type, format: def.format })}`);
}
