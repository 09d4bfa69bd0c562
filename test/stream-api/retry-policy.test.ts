import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../../src/stream-api/error-response.js';
import { decide } from '../../src/stream-api/retry-decision.js';
import { backoffDelayMs, defaultRetryPolicy, rateLimitDelayMs } from '../../src/stream-api/retry-policy.js';

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

  it('gives rate-limit waits a budget of time of their own', () => {
    expect(defaultRetryPolicy.rateLimitBudgetMs).toBeGreaterThan(defaultRetryPolicy.maxRateLimitWaitMs);
  });
});

describe('the retry table', () => {
  const answer = (status: number, code?: number, message?: string) => decide({ request: 'api', kind: 'answer', status, code, message });

  it('retries no answer, 408 and 5xx, with a transient failure type once the budget is spent', () => {
    for (const decision of [decide({ request: 'api', kind: 'no-answer' }), answer(408), answer(500), answer(502), answer(503), answer(504), answer(400, 23)]) {
      expect(decision).toMatchObject({ action: 'retry', failureType: 'transient_error' });
    }
  });

  it('waits out rate limits (429, code 9) without using up retries', () => {
    expect(answer(429)).toMatchObject({ action: 'wait-for-quota', failureType: 'transient_error' });
    expect(answer(400, 9)).toMatchObject({ action: 'wait-for-quota' });
  });

  it('never retries what no retry can fix, and says whose it is', () => {
    expect(answer(401)).toMatchObject({ action: 'fail', failureType: 'config_error', rule: 'credentials' });
    expect(answer(400, 43)).toMatchObject({ action: 'fail', failureType: 'config_error' });
    expect(answer(501)).toMatchObject({ action: 'fail', failureType: 'system_error' });
    expect(answer(505)).toMatchObject({ action: 'fail', failureType: 'system_error' });
    expect(answer(400, 4, "Can't find channel with cid x")).toMatchObject({ action: 'fail', failureType: 'config_error', rule: 'channel-not-found' });
    expect(answer(400, 4, 'bad request')).toMatchObject({ action: 'fail', failureType: 'system_error' });
    expect(answer(302)).toMatchObject({ action: 'fail', failureType: 'system_error' });
  });

  it('classifies every error the client builds as the table says', () => {
    for (const [status, code, type] of [
      [503, undefined, 'transient_error'],
      [501, undefined, 'system_error'],
      [400, 9, 'transient_error'],
      [403, undefined, 'config_error'],
    ] as const) {
      const bodyText = code === undefined ? '' : JSON.stringify({ code, message: 'x' });
      expect(errorFromResponse({ endpoint: 'GetTask', status, bodyText }).failureType, `${status}`).toBe(type);
    }
  });
});
