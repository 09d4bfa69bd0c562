import { digits, Instant } from './instant.js';

/** Go's RFC3339Nano as Stream prints it: 0–9 fractional digits, `Z` or an offset. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

// Keeps keys of instants before 1970 positive so that they still sort as text.
const EPOCH_SHIFT_SECONDS = 100_000_000_000;

/**
 * A string that sorts like the instant it stands for, or undefined for anything not RFC3339: for keys
 * that must be strings (a keyset's sort keys); everything else compares Instants.
 */
export function instantKey(value: string): string | undefined {
  const instant = Instant.parse(value);
  return instant === undefined ? undefined : `${String(instant.seconds + EPOCH_SHIFT_SECONDS).padStart(12, '0')}.${String(instant.nanos).padStart(9, '0')}`;
}

/**
 * `2024-01-01`, `2024-01-01T10:00:00` (both UTC) or any RFC 3339 date-time, as the UTC ISO
 * string `2024-01-01T10:00:00.000Z`; undefined when it is not a real instant (month 13, Feb 30…).
 */
export function normalizeDateTime(value: string): string | undefined {
  const zoned = value.length === 10 ? `${value}T00:00:00Z` : /(?:[Zz]|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
  // Digits past the nanosecond say nothing a Date or Stream keeps.
  const text = zoned.replace(/(\.\d{9})\d+/, '$1');
  const instant = Instant.parse(text);
  return instant === undefined || !isRealDateTime(text) ? undefined : new Date(instant.toMillis()).toISOString();
}

/** The calendar and clock fields of an RFC 3339 text are in range: no month 13, Feb 30, 24:00 or offset +25:00. */
function isRealDateTime(value: string): boolean {
  const [month, day] = [digits(value, 5, 7), digits(value, 8, 10)];
  // A day the month does not have rolls into another month: the date read back differs.
  const date = new Date(new Date(0).setUTCFullYear(digits(value, 0, 4), month - 1, day));
  const offset = /[+-](\d{2}):(\d{2})$/.exec(value);
  return (
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    digits(value, 11, 13) <= 23 &&
    digits(value, 14, 16) <= 59 &&
    digits(value, 17, 19) <= 59 &&
    (offset === null || (Number(offset[1]) <= 23 && Number(offset[2]) <= 59))
  );
}

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && Instant.parse(value) !== undefined;
}
