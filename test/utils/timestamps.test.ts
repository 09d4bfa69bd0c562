import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instant } from '../../src/utils/instant.js';
import { instantKey, RFC3339 } from '../../src/utils/timestamps.js';

/** instantKey as it was first written, from RFC3339's captures: the reference the fast reader must agree with. */
function referenceKey(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  // setUTCFullYear, unlike Date.UTC, reads years 0–99 as written.
  let millis = new Date(0).setUTCFullYear(Number(year), Number(month) - 1, Number(day)) + ((Number(hour) * 60 + Number(minute)) * 60 + Number(second)) * 1000;
  if (Number.isNaN(millis)) return undefined;
  if (zone !== 'Z' && zone !== 'z') millis -= (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return `${String(millis / 1000 + 100_000_000_000).padStart(12, '0')}.${fraction.padEnd(9, '0')}`;
}

describe('instantKey and Instant.parse', () => {
  it('agrees with the RFC3339 pattern and with the reading of its captures, on timestamps and near misses', () => {
    const digit = fc.constantFrom(...'0123456789');
    const part = (length: number) => fc.array(digit, { minLength: length, maxLength: length }).map((chars) => chars.join(''));
    const timestamp = fc
      .tuple(
        part(4),
        part(2),
        part(2),
        fc.constantFrom('T', 't'),
        part(2),
        part(2),
        part(2),
        fc.option(
          fc.integer({ min: 0, max: 10 }).chain((n) => part(n)),
          { nil: undefined },
        ),
        fc.constantFrom('Z', 'z', '+02:00', '-05:30', '+14:00', '', '+0200', 'ZZ'),
      )
      .map(([y, mo, d, t, h, mi, s, fraction, zone]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${fraction === undefined ? '' : `.${fraction}`}${zone}`);
    const mutated = fc
      .tuple(timestamp, fc.nat(40), fc.constantFrom('', 'x', '-', ':', '.', '9', ' ', '\n'))
      .map(([text, at, by]) => `${text.slice(0, at % (text.length + 1))}${by}${text.slice((at % (text.length + 1)) + 1)}`);
    fc.assert(
      fc.property(fc.oneof(timestamp, mutated, fc.string({ maxLength: 40 })), (value) => {
        expect(instantKey(value)).toBe(referenceKey(value));
        expect(Instant.parse(value)?.toString()).toBe(referenceKey(value) === undefined ? undefined : value);
        expect(RFC3339.test(value)).toBe(/^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.test(value));
      }),
      { numRuns: 3000 },
    );
  });
});
