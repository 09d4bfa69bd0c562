import type { ConnectorError, ConnectorErrorOptions, FailureType } from '../errors.js';
import { BatchTooLargeError, ChannelNotFoundError, ConfigError, SystemError, TooManyTasksError, TransientError } from '../errors.js';

/**
 * - `api`: a request to the Stream API (a task poll's HTTP request included);
 * - `download`: a request to the host of a pre-signed export file;
 * - `poll`: what a task poll tells of the task.
 */
export type RequestKind = 'api' | 'download' | 'poll';

/** What one attempt came back with, when it was not a success. */
export type Attempt =
  /** No usable answer: connection refused or reset, a timeout, a deadline passed, a body cut short. */
  | { request: 'api' | 'download'; kind: 'no-answer' }
  /** An answer with a status outside 2xx, and Stream's error code and message when its body had them. */
  | { request: 'api' | 'download'; kind: 'answer'; status: number; code?: number | undefined; message?: string | undefined }
  /** An answer the connector cannot use, though its status is a success. */
  | { request: 'api' | 'download'; kind: 'unusable' }
  /** A polled task that is not completed with a download URL. */
  | { request: 'poll'; kind: 'task'; status: string }
  /** The task's time (export_timeout_minutes, its polls included) ran out. */
  | { request: 'poll'; kind: 'timed-out' };

/**
 * - `retry`: try again after a backoff, within the retry budget (an API request's retries, a download's
 *   attempts in a row without headway);
 * - `wait-for-quota`: rate limited: wait until the quota resets, within the time budget for such waits
 *   (they do not use up retries);
 * - `refresh-url`: fetch a fresh download URL, within the budget of fresh URLs;
 * - `shrink-batch`: fail the request; its caller may send fewer channels at once;
 * - `shrink-in-flight`: fail the request; its caller may keep fewer export tasks in flight and ask again;
 * - `poll-again`: poll the task again later, within the task's time;
 * - `poll-bounded`: poll again, within the task's time and the bound on a status the connector does not know;
 * - `fail`: no retry can help.
 */
export type Action = 'retry' | 'wait-for-quota' | 'refresh-url' | 'shrink-batch' | 'shrink-in-flight' | 'poll-again' | 'poll-bounded' | 'fail';

export type Rule =
  | 'no-answer'
  | 'url-refused'
  | 'credentials'
  | 'rate-limited'
  | 'unsupported'
  | 'server-error'
  | 'channel-not-found'
  | 'batch-too-large'
  | 'too-many-tasks'
  | 'task-failed'
  | 'task-timed-out'
  | 'task-without-url'
  | 'task-pending'
  | 'task-status-unknown'
  | 'unusable'
  | 'refused';

export interface Decision {
  rule: Rule;
  action: Action;
  /** Whose to fix, should the request fail here or once its budget is spent. */
  failureType: FailureType;
}

export interface Row extends Decision {
  /** The kinds of request the row is about. */
  requests: readonly RequestKind[];
  /** The outcome in words (the README's table). */
  when: string;
  /** What the client does, in words (the README's table). */
  then: string;
  matches: (attempt: Attempt) => boolean;
}

type Answer = Extract<Attempt, { kind: 'answer' }>;

const CREDENTIAL_CODES = new Set([2, 5, 17, 40, 41, 42, 43]);
const PENDING_STATUSES = new Set(['waiting', 'pending', 'running']);
// Stream's wording is not documented; both orders of "channels … at most/too many/maximum" are taken.
// Nor is any limit on tasks in flight: a refusal that names tasks with words of a limit is taken for one.
const TOO_MANY_TASKS =
  /\btasks?\b.*\b(at most|too many|maximum|max|limit|exceed|concurrent|in progress)|\b(at most|too many|maximum|max|limit|exceed|concurrent)\w*\b.*\btasks?\b/i;
const TOO_MANY_CHANNELS = /channels?\b.*\b(at most|too many|maximum|max|limit|exceed)|\b(at most|too many|maximum|max|limit|exceed)\w*\b.*\bchannels?/i;

const answer = (test: (answer: Answer) => boolean) => (attempt: Attempt) => attempt.kind === 'answer' && test(attempt);
const taskStatus = (test: (status: string) => boolean) => (attempt: Attempt) => attempt.kind === 'task' && test(attempt.status);

const REFUSED: Row = {
  rule: 'refused',
  requests: ['api', 'download'],
  when: 'anything else (other 4xx, redirects, which are never followed)',
  then: "fail, quoting the host's message",
  matches: (attempt) => attempt.kind === 'answer',
  action: 'fail',
  failureType: 'system_error',
};

/**
 * The one table from an attempt's outcome to what the client does and, when it gives up, the failure
 * type. The first row for the attempt's kind of request that matches wins. API requests, downloads and
 * task polls all decide through it, and build their errors from its decision, so a retry and the
 * error's classification can never disagree.
 */
export const RETRY_TABLE: readonly Row[] = [
  {
    rule: 'no-answer',
    requests: ['api', 'download'],
    when: 'no answer (network error, timeout, deadline passed, body cut short)',
    then: 'retry with backoff (a download resumes with `Range`)',
    matches: (attempt) => attempt.kind === 'no-answer',
    action: 'retry',
    failureType: 'transient_error',
  },
  {
    rule: 'url-refused',
    // Object stores answer an expired or badly signed URL with 403 (S3, Azure) or 400 (GCS).
    requests: ['download'],
    when: 'download URL refused or expired (HTTP 400/401/403 from the download host)',
    then: 'fetch a fresh URL (GET /tasks/{id})',
    matches: answer(({ status }) => status === 400 || status === 401 || status === 403),
    action: 'refresh-url',
    failureType: 'transient_error',
  },
  {
    rule: 'credentials',
    requests: ['api'],
    when: 'credentials refused (HTTP 401/403, Stream codes 2, 5, 17, 40–43)',
    then: 'fail, naming the credential to check',
    matches: answer(({ status, code }) => status === 401 || status === 403 || (code !== undefined && CREDENTIAL_CODES.has(code))),
    action: 'fail',
    failureType: 'config_error',
  },
  {
    rule: 'rate-limited',
    requests: ['api', 'download'],
    when: 'rate limited (HTTP 429, Stream code 9)',
    then: 'wait until `Retry-After` / `X-RateLimit-Reset`, else back off (each wait ≤ 90 s); from the API, a RATE_LIMITED status',
    matches: answer(({ status, code }) => status === 429 || code === 9),
    action: 'wait-for-quota',
    failureType: 'transient_error',
  },
  {
    rule: 'unsupported',
    requests: ['api', 'download'],
    when: 'not implemented or unsupported (HTTP 501, 505)',
    then: 'fail',
    matches: answer(({ status }) => status === 501 || status === 505),
    action: 'fail',
    failureType: 'system_error',
  },
  {
    rule: 'server-error',
    requests: ['api', 'download'],
    when: 'server busy or failing (HTTP 408, other 5xx, Stream code 23)',
    then: 'retry with backoff',
    matches: answer(({ status, code }) => status === 408 || status >= 500 || code === 23),
    action: 'retry',
    failureType: 'transient_error',
  },
  {
    rule: 'channel-not-found',
    requests: ['api'],
    when: '"Can\'t find channel"',
    then: 'fail; an export leaves the channel out (its batch split until it stands alone): one of `channel_ids` fails the sync at its end, a listed or lagging one is dropped with a WARN',
    matches: answer(({ message }) => /can't find channel/i.test(message ?? '')),
    action: 'fail',
    failureType: 'config_error',
  },
  {
    rule: 'too-many-tasks',
    requests: ['api'],
    when: 'HTTP 400 refusing an export for the tasks in flight (Stream documents no such limit)',
    then: 'keep fewer export tasks in flight from then on (one WARN), and ask again once one of them is done',
    matches: answer(({ status, message }) => status === 400 && TOO_MANY_TASKS.test(message ?? '')),
    action: 'shrink-in-flight',
    failureType: 'transient_error',
  },
  {
    rule: 'batch-too-large',
    requests: ['api'],
    when: 'HTTP 400 refusing the number of channels in an export',
    then: 'send fewer channels per export from then on',
    matches: answer(({ status, message }) => status === 400 && TOO_MANY_CHANNELS.test(message ?? '')),
    action: 'shrink-batch',
    failureType: 'system_error',
  },
  {
    rule: 'task-failed',
    requests: ['poll'],
    when: "export task failed on Stream's side",
    then: 'fail its batch',
    matches: taskStatus((status) => status === 'failed'),
    action: 'fail',
    failureType: 'transient_error',
  },
  {
    rule: 'task-timed-out',
    requests: ['poll'],
    when: 'export task not done within `export_timeout_minutes`, its polls included',
    then: 'fail its batch',
    matches: (attempt) => attempt.kind === 'timed-out',
    action: 'fail',
    failureType: 'transient_error',
  },
  {
    rule: 'task-without-url',
    requests: ['poll'],
    when: 'export task completed without a download URL',
    then: 'fail its batch',
    matches: taskStatus((status) => status === 'completed'),
    action: 'fail',
    failureType: 'system_error',
  },
  {
    rule: 'task-pending',
    requests: ['poll'],
    when: 'export task waiting, pending or running',
    then: 'poll again (when earlier tasks took to complete, then every fifth of its age, to 60 s)',
    matches: taskStatus((status) => PENDING_STATUSES.has(status)),
    action: 'poll-again',
    failureType: 'transient_error',
  },
  {
    rule: 'task-status-unknown',
    requests: ['poll'],
    when: 'export task with a status the connector does not know (Stream documents none)',
    then: 'poll again, one WARN, for 10 min of such statuses at most',
    matches: (attempt) => attempt.kind === 'task',
    action: 'poll-bounded',
    failureType: 'transient_error',
  },
  {
    rule: 'unusable',
    requests: ['api', 'download'],
    when: 'a success the connector cannot use (a body off its shape or over 8 MiB, bytes from past the offset asked, a task without its URL any more)',
    then: 'fail, saying what is wrong with it',
    matches: (attempt) => attempt.kind === 'unusable',
    action: 'fail',
    failureType: 'system_error',
  },
  REFUSED,
];

export function decide(attempt: Attempt): Decision {
  const row = RETRY_TABLE.find((candidate) => candidate.requests.includes(attempt.request) && candidate.matches(attempt)) ?? REFUSED;
  return { action: row.action, failureType: row.failureType, rule: row.rule };
}

type ErrorClass = new (message: string, options?: ConnectorErrorOptions) => ConnectorError;

const ERROR_OF_TYPE: Record<FailureType, ErrorClass> = { config_error: ConfigError, transient_error: TransientError, system_error: SystemError };
// Rules whose errors their callers tell apart by class.
const ERROR_OF_RULE: Partial<Record<Rule, ErrorClass>> = {
  'channel-not-found': ChannelNotFoundError,
  'batch-too-large': BatchTooLargeError,
  'too-many-tasks': TooManyTasksError,
};

/** The error of a decision given up on: its class, and so its failure type, is the table's. */
export function errorOf(decision: Decision, message: string, options: ConnectorErrorOptions = {}): ConnectorError {
  const ErrorOfDecision = ERROR_OF_RULE[decision.rule] ?? ERROR_OF_TYPE[decision.failureType];
  return new ErrorOfDecision(message, options);
}
