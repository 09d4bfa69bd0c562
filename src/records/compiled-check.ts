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
 *
 * Each object, array and record schema becomes one generated function that tests its fields inline
 * and reads them by their names: V8 makes a read by a constant name fast (the field there or not),
 * where reading fields by a variable name, or calling one closure per field, costs several times
 * more per record. The generated source holds only property names (as JSON string literals) and
 * references to the schema's own patterns and sub-checks.
 */
export function compileCheck(schema: z.ZodType): Check {
  const source = new CheckSource();
  return source.build('value', `return ${source.test(schema, 'value')};`);
}

class CheckSource {
  private readonly names: string[] = ['isPlainObject'];
  private readonly values: unknown[] = [isPlainObject];

  /** A JavaScript expression: whether the variable `name` matches `schema`. */
  test(schema: z.ZodType, name: string): string {
    const def = definitionOf(schema);
    switch (def.type) {
      case 'optional':
        return `(${name} === undefined || ${this.test(required(def.innerType, def), name)})`;
      case 'nullable':
        return `(${name} === null || ${this.test(required(def.innerType, def), name)})`;
      case 'unknown':
        return 'true';
      case 'boolean':
        return `typeof ${name} === 'boolean'`;
      case 'number':
        if (def.checks !== undefined && def.checks.length > 0) throw unsupported(def);
        if (def.format === 'safeint') return `Number.isSafeInteger(${name})`;
        if (def.format !== undefined) throw unsupported(def);
        return `(typeof ${name} === 'number' && Number.isFinite(${name}))`;
      case 'string': {
        const pattern = patternOf(def);
        return pattern === undefined ? `typeof ${name} === 'string'` : `(typeof ${name} === 'string' && ${this.reference(pattern)}.test(${name}))`;
      }
      case 'array':
      case 'record':
      case 'object':
        return `${this.reference(this.composite(def))}(${name})`;
      default:
        throw unsupported(def);
    }
  }

  /** Compiles the function, its references bound. */
  build(parameter: string, body: string): Check {
    // Generated from the streams' own schemas, never from input: compiled checks are the point.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function(...this.names, `return function check(${parameter}) {\n${body}\n};`) as (...values: unknown[]) => Check;
    return factory(...this.values);
  }

  private composite(def: Definition): Check {
    const inner = new CheckSource();
    if (def.type === 'array') {
      const item = inner.test(required(def.element, def), 'item');
      return inner.build(
        'array',
        `if (!Array.isArray(array)) return false;\nfor (let i = 0; i < array.length; i += 1) { const item = array[i]; if (!(${item})) return false; }\nreturn true;`,
      );
    }
    if (def.type === 'record') {
      const keyDef = definitionOf(required(def.keyType, def));
      if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0) throw unsupported(def);
      const item = inner.test(required(def.valueType, def), 'item');
      return inner.build(
        'object',
        `if (!isPlainObject(object)) return false;\nfor (const key in object) { if (!Object.hasOwn(object, key)) continue; const item = object[key]; if (!(${item})) return false; }\nreturn true;`,
      );
    }
    // Only loose objects: a stripping or strict object would make the output differ from the input.
    if (def.catchall === undefined || definitionOf(def.catchall).type !== 'unknown') throw unsupported(def);
    const fields = Object.entries(def.shape ?? {}).map(
      ([key, field]) => `field = object[${JSON.stringify(key)}];\nif (!(${inner.test(field, 'field')})) return false;`,
    );
    return inner.build(
      'object',
      `if (typeof object !== 'object' || object === null || Array.isArray(object)) return false;\nlet field;\n${fields.join('\n')}\nreturn true;`,
    );
  }

  private reference(value: unknown): string {
    const name = `ref${this.names.length}`;
    this.names.push(name);
    this.values.push(value);
    return name;
  }
}

function definitionOf(schema: z.ZodType): Definition {
  return (schema as unknown as { _zod: { def: Definition } })._zod.def;
}

function patternOf(def: Definition): RegExp | undefined {
  const patterns = (def.checks ?? []).map(({ _zod }) => {
    const { check, format, pattern } = _zod.def;
    if (check !== 'string_format' || format !== 'regex' || pattern === undefined || pattern.global || pattern.sticky) throw unsupported(def);
    return pattern;
  });
  if (patterns.length > 1) throw unsupported(def);
  return patterns[0];
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
