import type { z } from 'zod';

/**
 * A per-parse zod error map whose messages read after the field's path
 * ("lookback_window_hours must be an integer, got \"3\""), so one line can name every problem.
 * Pass it as `schema.safeParse(value, { error: issueMessage })`.
 */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `must be ${oneOf(issue.values)}, got ${describeValue(issue.input)}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string'
          ? 'must not be empty'
          : `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}, got ${describeValue(issue.input)}`;
    case 'invalid_format':
      return `must match ${issue.pattern ?? issue.format}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}

/** `streams[0].sync_mode` for the path `['streams', 0, 'sync_mode']`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** Each problem as "<path> <message>", in the order zod found them. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return path === '' ? issue.message : `${path} ${issue.message}`;
  });
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'object' || expected === 'record') return 'an object';
  if (expected === 'array') return 'an array';
  return `a ${expected}`;
}

function oneOf(values: readonly unknown[]): string {
  const listed = values.map((value) => JSON.stringify(value));
  return listed.length === 1 ? listed[0]! : `one of ${listed.join(', ')}`;
}
