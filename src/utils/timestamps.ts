// Stream sends RFC3339 with 0–9 fractional digits (Go's RFC3339Nano); a Date keeps only milliseconds
// and text comparison breaks across precisions, so instants are compared through a normalised key.
/** Go's RFC3339Nano as Stream prints it: 0–9 fractional digits, `Z` or an offset. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

// Keeps keys of instants before 1970 positive so that they still sort as text.
const EPOCH_SHIFT_SECONDS = 100_000_000_000;
const MAX_FRACTION_DIGITS = 9;
const [DASH, COLON, DOT, PLUS, ZERO, NINE] = ['-', ':', '.', '+', '0', '9'].map((character) => character.charCodeAt(0)) as [
  number,
  number,
  number,
  number,
  number,
  number,
];

/**
 * A string that sorts like the instant it stands for, or undefined for anything not RFC3339 (what
 * RFC3339 matches, read character by character: it runs for every record, and a match with its
 * captures would cost a dozen strings each time).
 */
export function instantKey(value: string): string | undefined {
  if (!hasDateTimeSeparators(value)) return undefined;
  const end = fractionEnd(value);
  if (end === undefined) return undefined;
  const offsetMinutes = zoneOffsetMinutes(value, end);
  if (offsetMinutes === undefined) return undefined;
  const millis = utcMillis(value) - offsetMinutes * 60_000;
  if (Number.isNaN(millis)) return undefined;
  const fraction = end === 19 ? '' : value.slice(20, end);
  return `${String(millis / 1000 + EPOCH_SHIFT_SECONDS).padStart(12, '0')}.${fraction.padEnd(MAX_FRACTION_DIGITS, '0')}`;
}

/** The dashes, `T` and colons of an RFC 3339 date-time where they belong (its digits are read later). */
function hasDateTimeSeparators(value: string): boolean {
  const separator = value[10];
  return (
    value.length >= 20 &&
    value.charCodeAt(4) === DASH &&
    value.charCodeAt(7) === DASH &&
    (separator === 'T' || separator === 't') &&
    value.charCodeAt(13) === COLON &&
    value.charCodeAt(16) === COLON
  );
}

/** Where the seconds' fraction (a dot, then up to 9 digits) ends: 19 when there is none, undefined for a dot without a digit. */
function fractionEnd(value: string): number | undefined {
  if (value.charCodeAt(19) !== DOT) return 19;
  let end = 20;
  while (end < value.length && end < 20 + MAX_FRACTION_DIGITS && isDigit(value.charCodeAt(end))) end += 1;
  return end === 20 ? undefined : end;
}

/** The date and whole seconds of an RFC 3339 text read as UTC, in milliseconds; NaN when a field is not digits. */
function utcMillis(value: string): number {
  const [year, month, day] = [digits(value, 0, 4), digits(value, 5, 7), digits(value, 8, 10)];
  const clock = ((digits(value, 11, 13) * 60 + digits(value, 14, 16)) * 60 + digits(value, 17, 19)) * 1000;
  // Date.UTC is the fast way, but reads years 0–99 as 1900–1999.
  return year < 100 ? new Date(0).setUTCFullYear(year, month - 1, day) + clock : Date.UTC(year, month - 1, day) + clock;
}

/** The instant a key stands for, in whole milliseconds (rounded down). */
function millisOf(key: string): number {
  return Math.floor((Number(key.slice(0, 12)) - EPOCH_SHIFT_SECONDS) * 1000 + Number(key.slice(13, 16)));
}

/**
 * `2024-01-01`, `2024-01-01T10:00:00` (both UTC) or any RFC 3339 date-time, as the UTC ISO
 * string `2024-01-01T10:00:00.000Z`; undefined when it is not a real instant (month 13, Feb 30…).
 */
export function normalizeDateTime(value: string): string | undefined {
  const zoned = value.length === 10 ? `${value}T00:00:00Z` : /(?:[Zz]|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
  // Digits past the nanosecond say nothing a Date or Stream keeps.
  const text = zoned.replace(/(\.\d{9})\d+/, '$1');
  const key = instantKey(text);
  return key === undefined || !isRealDateTime(text) ? undefined : new Date(millisOf(key)).toISOString();
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

/** The offset of the zone written from `at` to the end (`Z`, or ±HH:MM), in minutes; undefined if it is not one. */
function zoneOffsetMinutes(value: string, at: number): number | undefined {
  const rest = value.length - at;
  if (rest === 1) return value[at] === 'Z' || value[at] === 'z' ? 0 : undefined;
  const sign = value.charCodeAt(at);
  if (rest !== 6 || (sign !== PLUS && sign !== DASH) || value.charCodeAt(at + 3) !== COLON) return undefined;
  const minutes = digits(value, at + 1, at + 3) * 60 + digits(value, at + 4, at + 6);
  return sign === DASH ? -minutes : minutes;
}

/** The number the characters from `from` to `to` write in decimal digits; NaN if one is not a digit. */
function digits(value: string, from: number, to: number): number {
  let number = 0;
  for (let at = from; at < to; at += 1) {
    const code = value.charCodeAt(at);
    if (!isDigit(code)) return Number.NaN;
    number = number * 10 + (code - ZERO);
  }
  return number;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && instantKey(value) !== undefined;
}

/** True when `value` is strictly after `cursor`; a value that is not a timestamp counts as after (never drop data). */
export function isAfter(value: unknown, cursor: string | undefined): boolean {
  if (cursor === undefined || typeof value !== 'string') return true;
  const valueKey = instantKey(value);
  const cursorKey = instantKey(cursor);
  return valueKey === undefined || cursorKey === undefined || valueKey > cursorKey;
}

/** The later of two timestamps, keeping the winner's own text; undefined only when both are. */
export function latest(a: string, b: string | undefined): string;
export function latest(a: string | undefined, b: string): string;
export function latest(a: string | undefined, b: string | undefined): string | undefined;
export function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (instantKey(b) ?? '') > (instantKey(a) ?? '') ? b : a;
}

/** The earlier of two timestamps, keeping the winner's own text; undefined only when both are. */
export function earliest(a: string, b: string | undefined): string;
export function earliest(a: string | undefined, b: string): string;
export function earliest(a: string | undefined, b: string | undefined): string | undefined;
export function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (instantKey(b) ?? '') < (instantKey(a) ?? '') ? b : a;
}

/**
 * `value` moved back by `hours`, in milliseconds precision rounded down (a wider window, never a
 * narrower one), never before the Unix epoch (Stream has nothing older; no date parser chokes).
 */
export function hoursBefore(value: string, hours: number): string {
  if (hours === 0) return value;
  const key = instantKey(value);
  if (key === undefined) return value;
  const millis = millisOf(key);
  const moved = millis - hours * 3_600_000;
  return new Date(moved < 0 ? Math.min(millis, 0) : moved).toISOString();
}

/**
 * The last instant of a request's precision (milliseconds) before `value`: the start of the smallest
 * export window that ends at `value` and is not empty.
 */
export function justBefore(value: string): string {
  const key = instantKey(value);
  return key === undefined ? value : new Date(millisOf(key) - 1).toISOString();
}
