import { describe, expect, it } from 'vitest';
import { backoffDelayMs, defaultRetryPolicy, rateLimitDelayMs } from '../../src/stream/retry-policy.js';

const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1_000, jitter: 0.5, maxRateLimitWaitMs: 60_000 };

describe('backoffDelayMs', () => {
  it('doubles from the base delay up to the cap without jitter', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(policy, retry, () => 0));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('takes at most the jitter share off the delay', () => {
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(200);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(300);
  });

  it('is exact when jitter is zero', () => {
    expect(backoffDelayMs({ ...policy, jitter: 0 }, 2, () => 0.9)).toBe(200);
  });
});

describe('rateLimitDelayMs', () => {
  const now = 1_000_000;

  it('waits until the reset', () => {
    expect(rateLimitDelayMs(policy, new Date(now + 12_345), now)).toBe(12_345);
  });

  it('is capped by maxRateLimitWaitMs', () => {
    expect(rateLimitDelayMs(policy, new Date(now + 600_000), now)).toBe(60_000);
  });

  it('waits at least the base delay when the reset is already past', () => {
    expect(rateLimitDelayMs(policy, new Date(now - 5_000), now)).toBe(100);
  });
});

describe('defaultRetryPolicy', () => {
  it('retries POST, because an orphan export task is cheaper than a failed sync', () => {
    expect(defaultRetryPolicy.methods).toContain('POST');
  });

  it('retries 408, 429 and 5xx but no other 4xx', () => {
    expect(defaultRetryPolicy.statusCodes).toEqual(expect.arrayContaining([408, 429, 500, 502, 503, 504]));
    expect(defaultRetryPolicy.statusCodes.filter((status) => status < 500 && status !== 408 && status !== 429)).toEqual([]);
  });
});
