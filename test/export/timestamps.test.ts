import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { earliest, hoursBefore, instantKey, isAfter, latest } from '../../src/export/timestamps.js';

describe('timestamps', () => {
  it('orders instants across fractional precisions, unlike text comparison', () => {
    expect(isAfter('2025-01-23T13:05:35.310709Z', '2025-01-23T13:05:35.31Z')).toBe(true);
    expect(isAfter('2025-01-23T13:05:35.31Z', '2025-01-23T13:05:35.310709Z')).toBe(false);
    expect(isAfter('2025-01-23T13:05:35Z', '2025-01-23T13:05:35.000Z')).toBe(false);
    expect(isAfter('2025-01-23T13:06:58.365621247Z', '2025-01-23T13:06:58.365621246Z')).toBe(true);
  });

  it('applies offsets', () => {
    expect(instantKey('2025-01-01T01:00:00+01:00')).toBe(instantKey('2025-01-01T00:00:00Z'));
    expect(isAfter('2025-01-01T00:30:00-01:00', '2025-01-01T01:00:00Z')).toBe(true);
  });

  it('treats a missing cursor or a non-timestamp value as new, so nothing is dropped', () => {
    expect(isAfter('2025-01-01T00:00:00Z', undefined)).toBe(true);
    expect(isAfter(undefined, '2025-01-01T00:00:00Z')).toBe(true);
    expect(isAfter('yesterday', '2025-01-01T00:00:00Z')).toBe(true);
  });

  it('keeps the text of the later or earlier value', () => {
    expect(latest('2025-01-01T00:00:00.5Z', '2025-01-01T00:00:00.49Z')).toBe('2025-01-01T00:00:00.5Z');
    expect(earliest('2025-01-01T00:00:00.5Z', '2025-01-01T00:00:00.49Z')).toBe('2025-01-01T00:00:00.49Z');
    expect(latest(undefined, '2025-01-01T00:00:00Z')).toBe('2025-01-01T00:00:00Z');
  });

  it('moves back by hours, rounding down to the millisecond', () => {
    expect(hoursBefore('2025-01-02T00:00:00.123456Z', 24)).toBe('2025-01-01T00:00:00.123Z');
    expect(hoursBefore('2025-01-02T00:00:00.123456Z', 0)).toBe('2025-01-02T00:00:00.123456Z');
  });

  it('orders like Date for millisecond timestamps (property)', () => {
    const date = fc.date({ min: new Date('1900-01-01'), max: new Date('2999-12-31'), noInvalidDate: true });
    fc.assert(
      fc.property(date, date, (a, b) => {
        expect(isAfter(a.toISOString(), b.toISOString())).toBe(a.getTime() > b.getTime());
      }),
    );
  });
});
