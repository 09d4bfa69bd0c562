import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latest } from '../../src/export/timestamps.js';
import { Coverage } from '../../src/plan/coverage.js';
import { Admission } from '../../src/sync/admission.js';

const clock = { startedAt: '2026-06-10T00:00:00Z', lookbackHours: 0, sweepCutoff: '2026-06-03T00:00:00Z' };

describe('Admission.newestOf', () => {
  it('is the latest updated_at admitted, in its own text, whatever the precision, offset or order', () => {
    const instant = fc.tuple(
      fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
      fc.constantFrom('', '.5', '.123456', '.123456789'),
      fc.constantFrom('Z', '+02:00', '-05:30'),
    ).map(([date, fraction, zone]) => `${date.toISOString().slice(0, 19)}${fraction}${zone}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(instant, fc.constantFrom<unknown>(undefined, null, 'yesterday', 42)), { maxLength: 30 }), (stamps) => {
        const admission = new Admission(new Map([['channels', new Coverage('channels', undefined, clock)]]), 0);
        let expected: string | undefined;
        for (const [i, updated_at] of stamps.entries()) {
          expect(admission.admit('channels', { cid: `t:c${i}`, updated_at })).toBe(true);
          if (typeof updated_at === 'string' && /^\d/.test(updated_at)) expected = latest(expected, updated_at);
        }
        expect(admission.newestOf('channels')).toBe(expected);
      }),
    );
  });
});
