import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instant } from '../../src/utils/instant.js';

const at = (text: string) => Instant.of(text);

/** An RFC 3339 text of a millisecond date, with 0–9 fractional digits (the first three the date's) and a zone. */
const text = fc
  .tuple(
    fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true }),
    fc.integer({ min: 0, max: 9 }),
    fc.integer({ min: 0, max: 999_999 }),
    fc.constantFrom('Z', 'z', '+00:00', '+02:00', '-05:30', '+14:00'),
  )
  .map(([date, precision, below, zone]) => {
    const fraction = `${date.toISOString().slice(20, 23)}${String(below).padStart(6, '0')}`.slice(0, precision);
    const offset = zone === 'Z' || zone === 'z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19);
    return {
      text: `${local}${precision === 0 ? '' : `.${fraction}`}${zone}`,
      millis: Math.floor(date.getTime() / 1000) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3)),
      nanos: fraction.padEnd(9, '0'),
    };
  });

describe('Instant', () => {
  it('orders across fractional precisions, unlike text', () => {
    expect(at('2025-01-23T13:05:35.310709Z').isAfter(at('2025-01-23T13:05:35.31Z'))).toBe(true);
    expect(at('2025-01-23T13:05:35.31Z').isAfter(at('2025-01-23T13:05:35.310709Z'))).toBe(false);
    expect(at('2025-01-23T13:05:35Z').equals(at('2025-01-23T13:05:35.000Z'))).toBe(true);
    expect(at('2025-01-23T13:06:58.365621247Z').isAfter(at('2025-01-23T13:06:58.365621246Z'))).toBe(true);
  });

  it('applies offsets', () => {
    expect(at('2025-01-01T01:00:00+01:00').equals(at('2025-01-01T00:00:00Z'))).toBe(true);
    expect(at('2025-01-01T00:30:00-01:00').isAfter(at('2025-01-01T01:00:00Z'))).toBe(true);
    expect(at('1969-12-31T23:59:59.5Z').isBefore(at('1970-01-01T00:00:00Z'))).toBe(true);
  });

  it('reads nothing that is not an RFC 3339 date-time', () => {
    for (const value of [
      'yesterday',
      '2025-01-01',
      '2025-01-01T00:00:00',
      '2025-01-01T00:00:00.Z',
      '2025-01-01T00:00:00.1234567890Z',
      '2025-01-01T00:00:00+0100',
    ])
      expect(Instant.parse(value), value).toBeUndefined();
    expect(() => Instant.of('soon')).toThrow(TypeError);
  });

  it('keeps the text of the later or earlier one, the first on a tie; undefined only when both are', () => {
    expect(String(Instant.later(at('2025-01-01T00:00:00.5Z'), at('2025-01-01T00:00:00.49Z')))).toBe('2025-01-01T00:00:00.5Z');
    expect(String(Instant.earlier(at('2025-01-01T00:00:00.5Z'), at('2025-01-01T00:00:00.49Z')))).toBe('2025-01-01T00:00:00.49Z');
    expect(String(Instant.later(at('2025-01-01T01:00:00+01:00'), at('2025-01-01T00:00:00Z')))).toBe('2025-01-01T01:00:00+01:00');
    expect(String(Instant.later(undefined, at('2025-01-01T00:00:00Z')))).toBe('2025-01-01T00:00:00Z');
    expect(Instant.earlier(undefined, undefined)).toBeUndefined();
  });

  it('moves back by hours to the millisecond, rounding down, never before the epoch', () => {
    expect(String(at('2025-01-02T00:00:00.123456Z').minusHours(24))).toBe('2025-01-01T00:00:00.123Z');
    expect(String(at('2025-01-02T00:00:00.123456Z').minusHours(0))).toBe('2025-01-02T00:00:00.123456Z');
    expect(String(at('1970-01-01T05:00:00Z').minusHours(24))).toBe('1970-01-01T00:00:00.000Z');
    expect(String(at('2025-01-02T00:00:00.0001Z').justBefore())).toBe('2025-01-01T23:59:59.999Z');
  });

  it('writes its text into JSON', () => {
    expect(JSON.stringify({ cover: at('2025-01-01T00:00:00.310709+02:00') })).toBe('{"cover":"2025-01-01T00:00:00.310709+02:00"}');
  });

  it('reads back the text it was parsed from, and the instant that text names (property)', () => {
    fc.assert(
      fc.property(text, ({ text: value, millis, nanos }) => {
        const instant = at(value);
        expect(instant.toString()).toBe(value);
        expect(instant.toMillis()).toBe(millis);
        expect(String(instant.nanos).padStart(9, '0')).toBe(nanos);
        expect(at(Instant.fromMillis(millis).toString()).toMillis()).toBe(millis);
      }),
      { numRuns: 2000 },
    );
  });

  it('orders as the instants the texts name: like Date to the millisecond, by the digits below it (property)', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const expected = a.millis !== b.millis ? Math.sign(a.millis - b.millis) : Math.sign(Number(a.nanos.slice(3)) - Number(b.nanos.slice(3)));
        expect(Math.sign(at(a.text).compare(at(b.text)))).toBe(expected);
        expect(at(a.text).isAfter(at(b.text))).toBe(expected > 0);
        expect(at(a.text).isBefore(at(b.text))).toBe(expected < 0);
        expect(at(a.text).equals(at(b.text))).toBe(expected === 0);
      }),
      { numRuns: 2000 },
    );
  });
});
