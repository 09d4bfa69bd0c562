import type { StreamTime } from '../stream-api/stream-time.js';

/**
 * A `Date` header has whole seconds and an answer takes time to arrive: a host clock this far past it
 * may still be Stream's, and is taken as the finer reading of it.
 */
const DATE_PRECISION_MS = 1000;
const TRANSIT_MS = 1000;
/** Past this, the two clocks differ by more than the header's precision and an answer's transit explain. */
const SKEW_WARNING_MS = 5000;

export interface WindowEnd {
  /** Where this sync's export windows end, and the instant its states record. */
  at: Date;
  /** Said once as a WARN: the clocks differ, or Stream did not tell its clock. */
  warning?: string;
}

/**
 * Stream's clock less the settle margin, never later than the host's: Stream stamps `created_at` with
 * its own clock, so a window ended by a host clock that runs ahead would claim messages Stream has not
 * written yet. Where the two agree (within the header's second and an answer's transit), the host's
 * clock is the finer reading of Stream's.
 */
export function windowEnd(time: StreamTime, settleSeconds: number): WindowEnd {
  const host = time.receivedAt.getTime();
  const margin = settleSeconds * 1000;
  if (time.date === undefined) {
    return {
      at: new Date(host - margin),
      warning: `Stream's answer had no Date header: this sync's windows end at this host's clock less the settle margin (${settleSeconds} s)`,
    };
  }
  const stream = time.date.getTime();
  const now = host < stream + DATE_PRECISION_MS + TRANSIT_MS ? host : stream;
  const at = new Date(now - margin);
  const skewSeconds = Math.round((host - stream - DATE_PRECISION_MS / 2) / 1000);
  if (host - stream > DATE_PRECISION_MS + TRANSIT_MS + SKEW_WARNING_MS) {
    return {
      at,
      warning: `Stream's clock is about ${skewSeconds} s behind this host's: this sync's windows end at Stream's clock (${time.date.toISOString()}) less the settle margin (${settleSeconds} s)`,
    };
  }
  if (stream - host > SKEW_WARNING_MS) {
    return {
      at,
      warning: `Stream's clock is about ${-skewSeconds} s ahead of this host's: this sync's windows end at this host's clock less the settle margin (${settleSeconds} s), never later; what Stream stamps after that comes with a later sync`,
    };
  }
  return { at };
}
