import { isRecord } from '../utils/is-record.js';

// Stream's wire has been seen carrying custom data flat at the top level (`channel.name`), while its
// OpenAPI spec puts it in a `custom` object. Records take one shape whichever comes: flat, the shape
// of every record written so far, so no column moves.

/** Fields under which Stream nests its own entities (users, members, reactions, a quoted message). */
const NESTED_ENTITIES = [
  'user',
  'created_by',
  'truncated_by',
  'pinned_by',
  'mentioned_users',
  'thread_participants',
  'members',
  'latest_reactions',
  'own_reactions',
  'quoted_message',
];

/**
 * The entity with the keys of its `custom` object (when `custom` is an object) moved to its top level,
 * after its other fields; a key Stream already uses at the top level keeps Stream's value. The same
 * holds inside the entities it nests. Returns the entity itself when it has nothing to move.
 */
export function flattenCustom(entity: Record<string, unknown>): Record<string, unknown> {
  let out = entity;
  for (const key of NESTED_ENTITIES) {
    const value = entity[key];
    const flattened = Array.isArray(value) ? flattenEach(value) : isRecord(value) ? flattenCustom(value) : value;
    if (flattened === value) continue;
    if (out === entity) out = { ...entity };
    out[key] = flattened;
  }
  const { custom } = out;
  if (!isRecord(custom)) return out;
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(out)) if (key !== 'custom') own[key] = value;
  for (const [key, value] of Object.entries(custom)) if (!Object.hasOwn(own, key)) own[key] = value;
  return own;
}

function flattenEach(values: unknown[]): unknown[] {
  let out = values;
  values.forEach((value, i) => {
    const flattened = isRecord(value) ? flattenCustom(value) : value;
    if (flattened === value) return;
    if (out === values) out = [...values];
    out[i] = flattened;
  });
  return out;
}
