import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstListValue, parseRateLimitReset, parseRetryAfter, rateLimitResetAt } from '../../src/stream-api/rate-limit-headers.js';

const NOW = Date.UTC(2025, 0, 23, 13, 5, 0);

describe('firstListValue', () => {
  it('takes the first non-empty value of a comma-joined header', () => {
    expect(firstListValue('300, 300')).toBe('300');
    expect(firstListValue(' , 12,13')).toBe('12');
  });

  it('takes the first non-empty value of a repeated header', () => {
    expect(firstListValue(['', '7', '8'])).toBe('7');
  });

  it('is undefined for an absent or blank header', () => {
    expect(firstListValue(undefined)).toBeUndefined();
    expect(firstListValue(' , ')).toBeUndefined();
  });
});

describe('parseRateLimitReset', () => {
  it('reads epoch seconds', () => {
    expect(parseRateLimitReset('1737637560', NOW)).toEqual(new Date(1737637560_000));
  });

  it('reads the first of comma-joined duplicates', () => {
    expect(parseRateLimitReset('1737637560, 1737637560', NOW)).toEqual(new Date(1737637560_000));
  });

  it('reads a small number as seconds from now', () => {
    expect(parseRateLimitReset('30', NOW)).toEqual(new Date(NOW + 30_000));
  });

  it('ignores values that are not numbers', () => {
    expect(parseRateLimitReset('soon', NOW)).toBeUndefined();
    expect(parseRateLimitReset('-5', NOW)).toBeUndefined();
    expect(parseRateLimitReset('1e10', NOW)).toBeUndefined();
    expect(parseRateLimitReset(undefined, NOW)).toBeUndefined();
  });

  it('finds the epoch in any comma-joined, padded list of duplicates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.constantFrom('', ' ', '  '), { minLength: 2, maxLength: 2 }),
        fc.integer({ min: 0, max: 2 }),
        (seconds, copies, [before = '', after = ''], emptyLeading) => {
          const parts = [...Array<string>(emptyLeading).fill(' '), ...Array<string>(copies).fill(`${before}${seconds}${after}`)];
          expect(parseRateLimitReset(parts.join(','), NOW)?.getTime()).toBe(seconds * 1000);
        },
      ),
    );
  });

  it('never throws and only ever returns a valid date', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[\d., ]{0,30}$/)), (text) => {
        const date = parseRateLimitReset(text, NOW);
        expect(date === undefined || Number.isFinite(date.getTime())).toBe(true);
      }),
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds from now', () => {
    expect(parseRetryAfter('120', NOW)).toEqual(new Date(NOW + 120_000));
    expect(parseRetryAfter('120, 120', NOW)).toEqual(new Date(NOW + 120_000));
  });

  it('reads an HTTP date', () => {
    expect(parseRetryAfter('Thu, 23 Jan 2025 13:06:00 GMT', NOW)).toEqual(new Date(NOW + 60_000));
  });

  it('reads the first of duplicated HTTP dates', () => {
    expect(parseRetryAfter('Thu, 23 Jan 2025 13:06:00 GMT, Thu, 23 Jan 2025 13:06:00 GMT', NOW)).toEqual(new Date(NOW + 60_000));
  });

  it('ignores garbage', () => {
    expect(parseRetryAfter('later', NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
  });

  it('round-trips any delay in seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), (seconds) => {
        expect(parseRetryAfter(String(seconds), NOW)?.getTime()).toBe(NOW + seconds * 1000);
      }),
    );
  });
});

describe('rateLimitResetAt', () => {
  it('prefers Retry-After over X-RateLimit-Reset', () => {
    expect(rateLimitResetAt({ 'retry-after': '5', 'x-ratelimit-reset': '1737637560' }, NOW)).toEqual(new Date(NOW + 5_000));
  });

  it('falls back to X-RateLimit-Reset', () => {
    expect(rateLimitResetAt({ 'x-ratelimit-reset': '1737637560' }, NOW)).toEqual(new Date(1737637560_000));
  });

  it('is undefined without either header', () => {
    expect(rateLimitResetAt({}, NOW)).toBeUndefined();
  });
});
