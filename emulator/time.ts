// Instants are integer microseconds since the epoch: Stream's timestamps carry µs, and a JS Date only ms.

export type Micros = number;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

// Exports format millions of timestamps in time order; the date part changes rarely, so it is reused.
let cachedDay = Number.NaN;
let cachedDate = '';

/** Formats like Go's RFC3339Nano in UTC: fractional digits with trailing zeros trimmed, none for whole seconds. */
export function formatMicros(us: Micros): string {
  const seconds = Math.floor(us / 1_000_000);
  const fraction = us - seconds * 1_000_000;
  const day = Math.floor(seconds / 86_400);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  const inDay = seconds - day * 86_400;
  const time = `${cachedDate}${two(Math.floor(inDay / 3600))}:${two(Math.floor((inDay % 3600) / 60))}:${two(inDay % 60)}`;
  if (fraction === 0) return `${time}Z`;
  return `${time}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}Z`;
}

/**
 * Parses any RFC3339 date-time (0–9 fractional digits, `Z` or an offset) to µs, flooring below the µs;
 * for comparisons with whole-µs instants that floor is exact. Returns undefined for anything else.
 */
export function parseMicros(text: string): Micros | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zulu, sign, offsetHours, offsetMinutes] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = fields;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  let offsetMs = 0;
  if (!zulu) {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes);
    if (oh > 23 || om > 59) return undefined;
    offsetMs = (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return (ms - offsetMs) * 1000 + micros;
}

export function dateToMicros(date: Date): Micros {
  return date.getTime() * 1000;
}
