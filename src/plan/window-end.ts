import type { StreamTime } from '../stream-api/stream-time.js';

/** A `Date` header has whole seconds, and an answer takes time to arrive: the clocks may differ this much and agree. */
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
 * The earlier of Stream's clock (its `Date` header's instant) and the host's, less the settle margin:
 * Stream stamps `created_at` with its own clock, so a window may not end at an instant Stream has not
 * reached. The header's second is the last instant known to be Stream's: a host clock past it, even
 * within the header's precision, may be ahead of Stream's, which would leave out what Stream stamps
 * in between after the export ran.
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
  const at = new Date(Math.min(host, stream) - margin);
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
