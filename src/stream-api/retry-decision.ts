import type { FailureType } from '../errors.js';

/** What one attempt at an HTTP request came back with, when it was not a success. */
export type Attempt =
  /** No usable answer: connection refused or reset, a timeout, a deadline passed, a body cut short. */
  | { kind: 'no-answer' }
  /** An answer with a status outside 2xx, and Stream's error code and message when its body had them. */
  | { kind: 'answer'; status: number; code?: number | undefined; message?: string | undefined };

/**
 * - `retry`: try again after a backoff, within the policy's retry budget;
 * - `wait-for-quota`: rate limited: wait until the quota resets, within the policy's time budget for
 *   such waits (they do not use up retries);
 * - `fail`: no retry can help.
 */
export type Action = 'retry' | 'wait-for-quota' | 'fail';

export type Rule = 'no-answer' | 'credentials' | 'rate-limited' | 'unsupported' | 'server-error' | 'channel-not-found' | 'refused';

export interface Decision {
  rule: Rule;
  action: Action;
  /** Whose to fix, should the request fail here or once its budget is spent. */
  failureType: FailureType;
}

interface Row extends Decision {
  /** The row in words (the README's table). */
  when: string;
  matches: (attempt: Attempt) => boolean;
}

const CREDENTIAL_CODES = new Set([2, 5, 17, 40, 41, 42, 43]);
const answer = (test: (status: number, code: number | undefined, message: string) => boolean) => (attempt: Attempt) =>
  attempt.kind === 'answer' && test(attempt.status, attempt.code, attempt.message ?? '');

/**
 * The one table from an attempt's outcome to what the client does and, when it gives up, the
 * failure type. The first row that matches wins. The API transport, the downloads and the task
 * poller all decide through it, so a retry and the error's classification can never disagree.
 */
const REFUSED: Row = { rule: 'refused', when: 'any other answer (4xx, redirects)', matches: () => true, action: 'fail', failureType: 'system_error' };

export const RETRY_TABLE: readonly Row[] = [
  {
    rule: 'no-answer',
    when: 'no answer (network error, timeout, body cut short)',
    matches: (attempt) => attempt.kind === 'no-answer',
    action: 'retry',
    failureType: 'transient_error',
  },
  {
    rule: 'credentials',
    when: 'credentials refused (HTTP 401/403, Stream codes 2, 5, 17, 40–43)',
    matches: answer((status, code) => status === 401 || status === 403 || (code !== undefined && CREDENTIAL_CODES.has(code))),
    action: 'fail',
    failureType: 'config_error',
  },
  {
    rule: 'rate-limited',
    when: 'rate limited (HTTP 429, Stream code 9)',
    matches: answer((status, code) => status === 429 || code === 9),
    action: 'wait-for-quota',
    failureType: 'transient_error',
  },
  {
    rule: 'unsupported',
    when: 'not implemented or unsupported (HTTP 501, 505)',
    matches: answer((status) => status === 501 || status === 505),
    action: 'fail',
    failureType: 'system_error',
  },
  {
    rule: 'server-error',
    when: 'server busy or failing (HTTP 408, 5xx, Stream code 23)',
    matches: answer((status, code) => status === 408 || status >= 500 || code === 23),
    action: 'retry',
    failureType: 'transient_error',
  },
  {
    rule: 'channel-not-found',
    when: 'channel not found',
    matches: answer((_status, _code, message) => /can't find channel/i.test(message)),
    action: 'fail',
    failureType: 'config_error',
  },
  REFUSED,
];

export function decide(attempt: Attempt): Decision {
  const row = RETRY_TABLE.find((candidate) => candidate.matches(attempt)) ?? REFUSED;
  return { action: row.action, failureType: row.failureType, rule: row.rule };
}
