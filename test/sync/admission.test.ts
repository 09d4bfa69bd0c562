import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instant } from '../../src/utils/instant.js';
import { instantKey } from '../../src/utils/timestamps.js';
import { Coverage } from '../../src/plan/coverage.js';
import type { StreamName } from '../../src/records/index.js';
import { Admission } from '../../src/sync/admission.js';

const clock = { windowEnd: Instant.of('2026-06-10T00:00:00Z'), lookbackHours: 0, sweepCutoff: Instant.of('2026-06-03T00:00:00Z') };

/** A key that sorts as the instant does: the reference the Instants must agree with. */
const key = (value: unknown) => (typeof value === 'string' ? instantKey(value) : undefined);

describe('Admission.newestOf', () => {
  it('is the latest updated_at admitted, in its own text, whatever the precision, offset or order', () => {
    const instant = fc
      .tuple(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom('', '.5', '.123456', '.123456789'),
        fc.constantFrom('Z', '+02:00', '-05:30'),
      )
      .map(([date, fraction, zone]) => `${date.toISOString().slice(0, 19)}${fraction}${zone}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(instant, fc.constantFrom<unknown>(undefined, null, 'yesterday', 42)), { maxLength: 30 }), (stamps) => {
        const admission = new Admission(new Map([['channels', new Coverage('channels', undefined, clock)]]), (cid) => ({ cid }));
        let expected: string | undefined;
        for (const [i, updated_at] of stamps.entries()) {
          expect(admission.admit('channels', { cid: `t:c${i}`, updated_at })).toBe(true);
          if (key(updated_at) !== undefined && (expected === undefined || key(updated_at)! > key(expected)!)) expected = updated_at as string;
        }
        expect(admission.newestOf('channels')?.toString()).toBe(expected);
      }),
    );
  });
});

/** The rule as it reads in words (and as Admission computed it record by record before it kept floors). */
function expectedNew(stream: StreamName, data: Record<string, unknown>, coverage: Coverage): boolean {
  const floor = key(coverage.floor({ cid: String(data.cid) })?.toString());
  const stamp = key(stream === 'messages' ? data.created_at : data.updated_at);
  if (floor === undefined || stamp === undefined) return true;
  return stream === 'messages' ? stamp >= floor : stamp > floor;
}

describe('Admission.admit', () => {
  it('takes what is new by the stream floors, channel after channel, whatever the state', () => {
    // A few instants recur (in other precisions too), so that records fall exactly on floors.
    const instant = fc.oneof(
      fc.constantFrom('2025-01-01T00:00:00Z', '2025-01-01T00:00:00.000Z', '2025-01-01T01:00:00Z', '2025-01-02T00:00:00.000000Z', '2025-06-01T12:00:00.5Z'),
      fc
        .tuple(
          fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2026-06-09T00:00:00Z'), noInvalidDate: true }),
          fc.constantFrom('', '.5', '.123456789'),
        )
        .map(([date, fraction]) => `${date.toISOString().slice(0, 19)}${fraction}Z`),
    );
    const stamp = fc.oneof(instant, fc.constantFrom<unknown>(undefined, null, 'not a time'));
    const cid = fc.constantFrom('t:a', 't:b', 't:c');
    const state = fc.record({
      cover: instant,
      updatedAt: instant,
      swept: fc.option(instant, { nil: undefined }),
      lagging: fc.dictionary(cid, fc.option(instant, { nil: null })),
    });
    const records = fc.array(fc.record({ cid, id: fc.constantFrom('u1', 'u2', 'u3', 'u4'), created_at: stamp, updated_at: stamp }), { maxLength: 40 });
    fc.assert(
      fc.property(
        fc.constantFrom<Exclude<StreamName, 'users'>>('messages', 'channels', 'members'),
        state,
        fc.option(instant, { nil: undefined }),
        fc.constantFrom(0, 1, 24),
        records,
        (stream, compact, startDate, lookbackHours, rows) => {
          const state = {
            cover: Instant.of(compact.cover),
            updatedAt: Instant.of(compact.updatedAt),
            swept: compact.swept === undefined ? undefined : Instant.of(compact.swept),
            lagging: Object.fromEntries(Object.entries(compact.lagging).map(([cid, at]) => [cid, at === null ? null : Instant.of(at)])),
          };
          const coverage = new Coverage(stream, state, { ...clock, startDate: startDate === undefined ? undefined : Instant.of(startDate), lookbackHours });
          const admission = new Admission(new Map([[stream, coverage]]), (cid) => ({ cid }));
          for (const data of rows) expect(admission.admit(stream, data)).toBe(expectedNew(stream, data, coverage));
        },
      ),
      { numRuns: 300 },
    );
  });
});
