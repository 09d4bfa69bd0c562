// Stream sends RFC3339 with 0–9 fractional digits (Go's RFC3339Nano): a Date keeps only milliseconds,
// and text breaks order across precisions and zones. An Instant is parsed once where a timestamp comes
// in, ordered by its numbers, and keeps the text it came with so that a state reads back the same.

const MAX_FRACTION_DIGITS = 9;
const NANOS_PER_MILLI = 1_000_000;
const [DASH, COLON, DOT, PLUS, ZERO, NINE] = ['-', ':', '.', '+', '0', '9'].map((character) => character.charCodeAt(0)) as [
  number,
  number,
  number,
  number,
  number,
  number,
];
const SCALE = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

export class Instant {
  private constructor(
    /** Whole seconds since the Unix epoch (negative before it). */
    readonly seconds: number,
    /** Nanoseconds past `seconds`, 0 to 999 999 999. */
    readonly nanos: number,
    private readonly text: string,
  ) {}

  /**
   * An RFC 3339 date-time (0–9 fractional digits, `Z` or an offset), or undefined for anything else.
   * Read character by character: it runs for every record, and a regex match with captures would cost
   * a dozen strings each time.
   */
  static parse(text: string): Instant | undefined {
    if (!hasDateTimeSeparators(text)) return undefined;
    const end = fractionEnd(text);
    if (end === undefined) return undefined;
    const offsetMinutes = zoneOffsetMinutes(text, end);
    if (offsetMinutes === undefined) return undefined;
    const millis = utcMillis(text) - offsetMinutes * 60_000;
    if (Number.isNaN(millis)) return undefined;
    const nanos = end === 19 ? 0 : digits(text, 20, end) * (SCALE[MAX_FRACTION_DIGITS - (end - 20)] as number);
    return new Instant(millis / 1000, nanos, text);
  }

  /** `text` parsed, or an error: for instants the code writes itself. */
  static of(text: string): Instant {
    const instant = Instant.parse(text);
    if (instant === undefined) throw new TypeError(`not an RFC 3339 date-time: ${text}`);
    return instant;
  }

  static fromMillis(millis: number): Instant {
    const seconds = Math.floor(millis / 1000);
    return new Instant(seconds, (millis - seconds * 1000) * NANOS_PER_MILLI, new Date(millis).toISOString());
  }

  /** The later of two, `a` on a tie (its text kept); undefined only when both are. */
  static later(a: Instant, b: Instant | undefined): Instant;
  static later(a: Instant | undefined, b: Instant): Instant;
  static later(a: Instant | undefined, b: Instant | undefined): Instant | undefined;
  static later(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
    if (a === undefined) return b;
    return b !== undefined && b.isAfter(a) ? b : a;
  }

  /** The earlier of two, `a` on a tie (its text kept); undefined only when both are. */
  static earlier(a: Instant, b: Instant | undefined): Instant;
  static earlier(a: Instant | undefined, b: Instant): Instant;
  static earlier(a: Instant | undefined, b: Instant | undefined): Instant | undefined;
  static earlier(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
    if (a === undefined) return b;
    return b !== undefined && b.isBefore(a) ? b : a;
  }

  /** Negative, zero or positive as this is before, at or after `other`. */
  compare(other: Instant): number {
    return this.seconds === other.seconds ? this.nanos - other.nanos : this.seconds - other.seconds;
  }

  isAfter(other: Instant): boolean {
    return this.compare(other) > 0;
  }

  isBefore(other: Instant): boolean {
    return this.compare(other) < 0;
  }

  equals(other: Instant): boolean {
    return this.compare(other) === 0;
  }

  /** Whole milliseconds since the epoch, rounded down. */
  toMillis(): number {
    return this.seconds * 1000 + Math.floor(this.nanos / NANOS_PER_MILLI);
  }

  /**
   * Moved back by `hours`, in milliseconds rounded down (a wider window, never a narrower one), never
   * before the Unix epoch (Stream has nothing older; no date parser chokes).
   */
  minusHours(hours: number): Instant {
    if (hours === 0) return this;
    const millis = this.toMillis();
    const moved = millis - hours * 3_600_000;
    return Instant.fromMillis(moved < 0 ? Math.min(millis, 0) : moved);
  }

  /** The last instant of a request's precision (milliseconds) before this one. */
  justBefore(): Instant {
    return Instant.fromMillis(this.toMillis() - 1);
  }

  /** The text it was parsed from, or the ISO text of one made from milliseconds. */
  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }
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
export function digits(value: string, from: number, to: number): number {
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
