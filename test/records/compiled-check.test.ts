import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SystemError } from '../../src/errors.js';
import { channelRecord } from '../../src/records/channels.js';
import { compileCheck } from '../../src/records/compiled-check.js';
import { memberRecord } from '../../src/records/members.js';
import { messageRecord } from '../../src/records/messages.js';
import { reactionRecord } from '../../src/records/reactions.js';
import { userRecord } from '../../src/records/users.js';
import { sampleChannel, sampleMember, sampleMessage, sampleReaction, sampleUser } from './sample-entities.js';

const CID = 'messaging:general';
const SCHEMAS: Array<[string, z.ZodType, Record<string, unknown>]> = [
  ['channels', channelRecord, sampleChannel('messaging', 'general')],
  ['members', memberRecord, { cid: CID, ...sampleMember('u1') }],
  ['messages', messageRecord, { user_id: 'author-1', ...sampleMessage(CID, 'm1') }],
  ['reactions', reactionRecord, { cid: CID, ...sampleReaction('m1', 'u1', 'like') }],
  ['users', userRecord, sampleUser('u1', { teams_role: { red: 'admin' }, avg_response_time: 1.5 })],
];

/** Values that sit on the edges of the schemas' constructs. */
const edgy = fc.constantFrom<unknown>(
  undefined,
  null,
  '',
  'text',
  '2025-01-23T13:05:35Z',
  '2025-01-23T13:05:35.123456789+02:00',
  '2025-01-23 13:05:35',
  '2025-01-23T13:05:35.1234567890Z',
  0,
  -0,
  1.5,
  2 ** 53,
  -(2 ** 53) + 1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  [],
  ['a'],
  [1],
  [{}],
  [null],
  {},
  { a: 1 },
  { a: 'b' },
  Object.create(null) as unknown,
  new Date(0),
  sampleUser('nested'),
  { id: 'x' },
  { id: 1 },
  [sampleUser('in-a-list')],
);

/** `value` with a field at `path` replaced (arrays and objects are copied on the way down). */
function replaced(value: unknown, path: string[], by: unknown): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) return value.map((item, i) => (String(i) === head ? replaced(item, rest, by) : item));
  if (typeof value === 'object' && value !== null) return { ...value, [head]: replaced((value as Record<string, unknown>)[head], rest, by) };
  return value;
}

/** Every path into a sample, so that mutations reach nested users, reactions and lists. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  return keys.flatMap((key) => [[...prefix, key], ...pathsOf((value as Record<string, unknown>)[key], [...prefix, key])]);
}

describe('compileCheck', () => {
  it.each(SCHEMAS)('agrees with zod on the %s schema, sample and mutations alike', (_name, schema, sample) => {
    const check = compileCheck(schema);
    expect(check(sample)).toBe(true);
    const paths = [...pathsOf(sample), ['id'], ['cid'], ['custom_field'], ['updated_at'], ['user', 'teams_role', 'blue']];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), fc.oneof(edgy, fc.jsonValue({ maxDepth: 2 }))), { minLength: 1, maxLength: 3 }), (mutations) => {
        const value = mutations.reduce<unknown>((current, [path, by]) => replaced(current, path, by), sample);
        expect(check(value)).toBe(schema.safeParse(value).success);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with zod on values that are not objects at all', () => {
    const check = compileCheck(userRecord);
    for (const value of [undefined, null, 'u1', 1, [], [sampleUser('u1')], new Map()]) expect(check(value)).toBe(userRecord.safeParse(value).success);
  });

  it('refuses the zod constructs it does not know, rather than guess', () => {
    for (const schema of [
      z.object({ id: z.string() }),
      z.strictObject({}),
      z.string().email(),
      z.union([z.string(), z.number()]),
      z.int().min(1),
      z.literal('a'),
    ]) {
      expect(() => compileCheck(schema)).toThrow(SystemError);
    }
  });
});
