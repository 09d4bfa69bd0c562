import type { HeaderValue } from './header-value.js';
import { rateLimitResetAt } from './rate-limit-headers.js';

/**
 * The budgets of retrying: what to retry is decided by RETRY_TABLE (retry-decision.ts), how often and
 * how long by this. Plain data, so a caller can override any part of it.
 */
export interface RetryPolicy {
  /** Retries after the first attempt, for outcomes the table retries (rate-limit waits do not count). */
  limit: number;
  /** Methods that may be retried. */
  methods: readonly string[];
  /** The first backoff delay; it doubles on every retry... */
  baseDelayMs: number;
  /** ...up to this. */
  maxDelayMs: number;
  /** The share of each backoff delay that is random (0: none, 1: anywhere between 0 and the delay). */
  jitter: number;
  /** The longest wait for a rate limit to reset; Stream's windows are one minute long. */
  maxRateLimitWaitMs: number;
  /** All rate-limit waits of one request together: past this the request fails (transient). */
  rateLimitBudgetMs: number;
}

/*
 * POST is retried, POST /export_channels and POST /export/users included, although creating an export is not
 * idempotent: after an ambiguous failure (timeout after the body was sent, connection reset, 5xx) Stream may
 * have created a task whose id never reached us. Retrying can then create a second task. That orphan is
 * harmless: the connector only ever polls and downloads the task id it got back, and the orphan costs one
 * request of the 60/min export budget and some work on Stream's side. Not retrying would fail the whole sync,
 * and the platform's retry of the sync costs far more. Stream offers no idempotency key to do better.
 * A 429 is never ambiguous: the request was refused before anything was created.
 */
export const defaultRetryPolicy: Readonly<RetryPolicy> = Object.freeze({
  limit: 5,
  methods: ['GET', 'POST'],
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  jitter: 0.5,
  maxRateLimitWaitMs: 90_000,
  rateLimitBudgetMs: 15 * 60_000,
});

/** The wait before retry number `retry` (1-based): exponential, capped, with the policy's jitter taken off. */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exponential * (1 - policy.jitter * random()));
}

/** The wait until a rate limit resets, capped; never shorter than the base delay (clocks disagree). */
export function rateLimitDelayMs(policy: RetryPolicy, resetAt: Date, nowMs: number): number {
  return Math.min(policy.maxRateLimitWaitMs, Math.max(policy.baseDelayMs, resetAt.getTime() - nowMs));
}

/**
 * The next wait out of a rate limit: until the reset the headers announce, else a backoff growing with
 * the time already waited; undefined once it would take the waits past the policy's budget.
 */
export function quotaWaitMs(policy: RetryPolicy, headers: Record<string, HeaderValue>, waitedMs: number, nowMs: number): number | undefined {
  const resetAt = rateLimitResetAt(headers, nowMs);
  const waitMs = resetAt === undefined ? backoffDelayMs(policy, 1 + Math.floor(waitedMs / policy.baseDelayMs)) : rateLimitDelayMs(policy, resetAt, nowMs);
  return waitedMs + waitMs > policy.rateLimitBudgetMs ? undefined : waitMs;
}
