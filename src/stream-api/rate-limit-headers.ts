import { headerValue, type HeaderValue } from './header-value.js';

const DECIMAL = /^\d+(\.\d+)?$/;
const HTTP_DATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT/;
// Below this an "epoch" would be before 2001: such a reset can only be a number of seconds from now.
const EPOCH_SECONDS_FLOOR = 1_000_000_000;

/** Duplicated headers arrive comma-joined ("300, 300") or as an array: the first non-empty value wins. */
export function firstListValue(value: HeaderValue): string | undefined {
  return headerValue(value)
    ?.split(',')
    .map((part) => part.trim())
    .find((part) => part !== '');
}

function validDate(ms: number): Date | undefined {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

/** `X-RateLimit-Reset`: Unix time in seconds at which the window ends. */
export function parseRateLimitReset(value: HeaderValue, nowMs: number): Date | undefined {
  const text = firstListValue(value);
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const seconds = Number(text);
  return validDate(seconds >= EPOCH_SECONDS_FLOOR ? seconds * 1000 : nowMs + seconds * 1000);
}

/** `Retry-After`: a number of seconds, or an HTTP date. */
export function parseRetryAfter(value: HeaderValue, nowMs: number): Date | undefined {
  const text = headerValue(value);
  if (text === undefined) return undefined;
  const first = firstListValue(text);
  if (first !== undefined && DECIMAL.test(first)) return validDate(nowMs + Number(first) * 1000);
  const date = HTTP_DATE.exec(text)?.[0];
  return date === undefined ? undefined : validDate(Date.parse(date));
}

/**
 * When a rate-limited request may be sent again. `Retry-After` wins when present: Stream sends it for the
 * API budget (database time), whose end is not `X-RateLimit-Reset`, which is on every response.
 */
export function rateLimitResetAt(headers: Record<string, HeaderValue>, nowMs: number): Date | undefined {
  return parseRetryAfter(headers['retry-after'], nowMs) ?? parseRateLimitReset(headers['x-ratelimit-reset'], nowMs);
}
