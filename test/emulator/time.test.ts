import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMicros, parseMicros } from '../../emulator/time.js';

const MIN = Date.UTC(1971, 0, 1) * 1000;
const MAX = Date.UTC(2199, 11, 31) * 1000;

describe('formatMicros', () => {
  it('prints Go RFC3339Nano style: µs precision with trailing zeros trimmed', () => {
    const base = Date.UTC(2025, 0, 23, 13, 5, 35) * 1000;
    expect(formatMicros(base + 310_709)).toBe('2025-01-23T13:05:35.310709Z');
    expect(formatMicros(base + 66_660)).toBe('2025-01-23T13:05:35.06666Z');
    expect(formatMicros(base + 500_000)).toBe('2025-01-23T13:05:35.5Z');
    expect(formatMicros(base)).toBe('2025-01-23T13:05:35Z');
  });
});

describe('parseMicros', () => {
  it('accepts any fractional precision and offsets', () => {
    const expected = Date.UTC(2020, 10, 10, 9, 30) * 1000;
    expect(parseMicros('2020-11-10T09:30:00.000Z')).toBe(expected);
    expect(parseMicros('2020-11-10T09:30:00Z')).toBe(expected);
    expect(parseMicros('2020-11-10T11:30:00+02:00')).toBe(expected);
    expect(parseMicros('2020-11-10T09:30:00.123456789Z')).toBe(expected + 123_456);
    expect(parseMicros('2020-11-10T09:30:00.1z')).toBe(expected + 100_000);
  });

  it('rejects what is not an RFC3339 date-time', () => {
    for (const text of ['', '2020-11-10', '2020-11-10T09:30:00', '2020-02-30T00:00:00Z', '2020-11-10T24:00:00Z', 'yesterday', '2020-11-10T09:30:00.Z']) {
      expect(parseMicros(text), text).toBeUndefined();
    }
  });

  it('reads back whatever formatMicros prints', () => {
    fc.assert(fc.property(fc.integer({ min: MIN, max: MAX }), (us) => parseMicros(formatMicros(us)) === us));
  });

  it('orders instants the same way whatever the offset and precision they are written with', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN, max: MAX }),
        fc.integer({ min: -23 * 60, max: 23 * 60 }),
        fc.integer({ min: 0, max: 999 }),
        (us, offsetMinutes, nanos) => {
          const local = new Date(Math.floor(us / 1000) + offsetMinutes * 60_000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const fraction = String((us % 1_000_000) * 1000 + nanos).padStart(9, '0');
          return parseMicros(`${local}.${fraction}${offset}`) === us;
        },
      ),
    );
  });
});
