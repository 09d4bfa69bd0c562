// Stream sends RFC3339 with 0–9 fractional digits (Go's RFC3339Nano); a Date keeps only milliseconds
// and text comparison breaks across precisions, so instants are compared through a normalised key.
/** Go's RFC3339Nano as Stream prints it: 0–9 fractional digits, `Z` or an offset. */
export const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

// Keeps keys of instants before 1970 positive so that they still sort as text.
const EPOCH_SHIFT_SECONDS = 100_000_000_000;

/** A string that sorts like the instant it stands for, or undefined for anything not RFC3339. */
export function instantKey(value: string): string | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  let millis = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (Number.isNaN(millis)) return undefined;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    millis -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const seconds = millis / 1000 + EPOCH_SHIFT_SECONDS;
  return `${String(seconds).padStart(12, '0')}.${fraction.padEnd(9, '0')}`;
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

/** The later of two timestamps, keeping the winner's own text. */
export function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (instantKey(b) ?? '') > (instantKey(a) ?? '') ? b : a;
}

/** The earlier of two timestamps, keeping the winner's own text. */
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
  const millis = Math.floor((Number(key.slice(0, 12)) - EPOCH_SHIFT_SECONDS) * 1000 + Number(key.slice(13, 16)));
  const moved = millis - hours * 3_600_000;
  return new Date(moved < 0 ? Math.min(millis, 0) : moved).toISOString();
}
