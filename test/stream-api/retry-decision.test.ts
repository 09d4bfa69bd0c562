import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BatchTooLargeError, ChannelNotFoundError, TooManyTasksError } from '../../src/errors.js';
import { errorFromResponse } from '../../src/stream-api/error-response.js';
import type { Attempt, Row, Rule } from '../../src/stream-api/retry-decision.js';
import { decide, errorOf, RETRY_TABLE } from '../../src/stream-api/retry-decision.js';

/** For each rule, attempts that match it: at least one for each kind of request the row is about. */
const EXAMPLES: Record<Rule, Attempt[]> = {
  'no-answer': [
    { request: 'api', kind: 'no-answer' },
    { request: 'download', kind: 'no-answer' },
  ],
  'url-refused': [400, 401, 403].map((status): Attempt => ({ request: 'download', kind: 'answer', status })),
  credentials: [
    { request: 'api', kind: 'answer', status: 401 },
    { request: 'api', kind: 'answer', status: 403 },
    ...[2, 5, 17, 40, 41, 42, 43].map((code): Attempt => ({ request: 'api', kind: 'answer', status: 400, code, message: 'no' })),
  ],
  'rate-limited': [
    { request: 'api', kind: 'answer', status: 429 },
    { request: 'api', kind: 'answer', status: 400, code: 9, message: 'Too many requests' },
    { request: 'download', kind: 'answer', status: 429 },
  ],
  unsupported: [
    { request: 'api', kind: 'answer', status: 501 },
    { request: 'download', kind: 'answer', status: 505 },
  ],
  'server-error': [
    ...[408, 500, 502, 503, 504].map((status): Attempt => ({ request: 'api', kind: 'answer', status })),
    { request: 'api', kind: 'answer', status: 400, code: 23, message: 'try later' },
    { request: 'download', kind: 'answer', status: 408 },
    { request: 'download', kind: 'answer', status: 503 },
  ],
  'channel-not-found': [
    { request: 'api', kind: 'answer', status: 400, code: 4, message: 'ExportChannels failed with error: "Can\'t find channel messaging:x"' },
  ],
  'batch-too-large': ['channels: at most 25 channels can be exported per request, got 100', 'too many channels in one request', 'max 25 channels'].map(
    (message): Attempt => ({ request: 'api', kind: 'answer', status: 400, code: 4, message }),
  ),
  'too-many-tasks': ['too many export tasks in progress', 'at most 10 concurrent tasks per app', 'Task limit exceeded'].map((message): Attempt => ({
    request: 'api',
    kind: 'answer',
    status: 400,
    code: 4,
    message,
  })),
  'task-failed': [{ request: 'poll', kind: 'task', status: 'failed' }],
  'task-timed-out': [{ request: 'poll', kind: 'timed-out' }],
  'task-without-url': [{ request: 'poll', kind: 'task', status: 'completed' }],
  'task-pending': ['waiting', 'pending', 'running'].map((status): Attempt => ({ request: 'poll', kind: 'task', status })),
  'task-status-unknown': [{ request: 'poll', kind: 'task', status: 'queued' }],
  unusable: [
    { request: 'api', kind: 'unusable' },
    { request: 'download', kind: 'unusable' },
  ],
  refused: [
    { request: 'api', kind: 'answer', status: 404, code: 16, message: "Can't find task" },
    { request: 'api', kind: 'answer', status: 400, code: 4, message: 'channels[0].messages_since must be a date' },
    { request: 'api', kind: 'answer', status: 302 },
    { request: 'download', kind: 'answer', status: 404 },
    { request: 'download', kind: 'answer', status: 416 },
    { request: 'download', kind: 'answer', status: 302 },
  ],
};

const SUBCLASS_OF_RULE: Partial<Record<Rule, unknown>> = {
  'channel-not-found': ChannelNotFoundError,
  'batch-too-large': BatchTooLargeError,
  'too-many-tasks': TooManyTasksError,
};

function describeAttempt(attempt: Attempt): string {
  return JSON.stringify(attempt);
}

describe('the retry table, row by row', () => {
  it.each(RETRY_TABLE.map((row) => [row.rule, row] as const))('%s: its attempts get its action and failure type, and so do their errors', (rule, row: Row) => {
    const examples = EXAMPLES[rule];
    expect(new Set(examples.map((attempt) => attempt.request))).toEqual(new Set(row.requests));
    for (const attempt of examples) {
      const decision = decide(attempt);
      expect(decision, describeAttempt(attempt)).toEqual({ rule, action: row.action, failureType: row.failureType });
      const error = errorOf(decision, 'words');
      expect(error.failureType, describeAttempt(attempt)).toBe(row.failureType);
      if (SUBCLASS_OF_RULE[rule] !== undefined) expect(error).toBeInstanceOf(SUBCLASS_OF_RULE[rule]);
    }
  });

  it.each(RETRY_TABLE.filter((row) => row.requests.includes('api')).map((row) => [row.rule, row] as const))(
    '%s: the error of a Stream API answer that matches it has its failure type',
    (rule, row: Row) => {
      for (const attempt of EXAMPLES[rule]) {
        if (attempt.request !== 'api' || attempt.kind !== 'answer') continue;
        const bodyText = attempt.code === undefined ? '' : JSON.stringify({ code: attempt.code, message: attempt.message });
        const error = errorFromResponse({ endpoint: 'ExportChannels', status: attempt.status, bodyText });
        expect(error.failureType, describeAttempt(attempt)).toBe(row.failureType);
        if (SUBCLASS_OF_RULE[rule] !== undefined) expect(error).toBeInstanceOf(SUBCLASS_OF_RULE[rule]);
      }
    },
  );

  it('tells a refused download URL from refused credentials by the kind of request', () => {
    expect(decide({ request: 'api', kind: 'answer', status: 403 })).toMatchObject({ action: 'fail', failureType: 'config_error' });
    expect(decide({ request: 'download', kind: 'answer', status: 403 })).toMatchObject({ action: 'refresh-url', failureType: 'transient_error' });
  });

  it('waits out a 429 from any host', () => {
    for (const request of ['api', 'download'] as const) expect(decide({ request, kind: 'answer', status: 429 }).action).toBe('wait-for-quota');
  });
});

describe("the README's table", () => {
  it('is the retry table, row by row, in its order', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Errors and retries'));
    const lines = section.split('\n');
    const header = lines.findIndex((line) => line.startsWith('| outcome |'));
    const rows = lines.slice(header + 2, lines.indexOf('', header));
    expect(rows).toEqual(RETRY_TABLE.map((row) => `| ${row.when} | ${row.requests.join(', ')} | ${row.then} | ${row.failureType} |`));
  });
});
