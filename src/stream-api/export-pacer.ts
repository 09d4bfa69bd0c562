import type { HeaderValue } from './header-value.js';
import { firstListValue, parseRateLimitReset } from './rate-limit-headers.js';
import { sleep } from './sleep.js';

const WINDOW_MS = 60_000;
/** Below this share of the endpoint's limit left, creations are spread over the rest of the window. */
const LOW_WATER_SHARE = 0.1;
const MIN_LOW_WATER = 2;

/**
 * Paces export creation within the app's export quota, which Stream counts per app and the app's
 * owners share: at most `perMinute` creations in any minute, and, when a reply's
 * `X-RateLimit-Remaining` runs low, the requests left spread evenly until `X-RateLimit-Reset`,
 * rather than meeting 429s.
 */
export class ExportPacer {
  private readonly starts: number[] = [];
  private notBefore = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when one more export may be created, and counts it. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= now - WINDOW_MS) this.starts.shift();
      let waitMs = this.notBefore - now;
      if (this.starts.length >= this.perMinute) waitMs = Math.max(waitMs, (this.starts[0] as number) + WINDOW_MS - now);
      if (waitMs <= 0) {
        this.starts.push(now);
        return;
      }
      await sleep(waitMs, signal);
    }
  }

  /** Reads the quota headers of an export endpoint's reply. */
  observe(headers: Record<string, HeaderValue>): void {
    const now = this.now();
    const remaining = Number(firstListValue(headers['x-ratelimit-remaining']));
    const limit = Number(firstListValue(headers['x-ratelimit-limit']));
    const resetAt = parseRateLimitReset(headers['x-ratelimit-reset'], now)?.getTime();
    if (!Number.isFinite(remaining) || resetAt === undefined || resetAt <= now) return;
    const lowWater = Number.isFinite(limit) && limit > 0 ? Math.max(MIN_LOW_WATER, Math.ceil(limit * LOW_WATER_SHARE)) : MIN_LOW_WATER;
    if (remaining >= lowWater) return;
    const untilReset = Math.min(resetAt - now, WINDOW_MS);
    this.notBefore = Math.max(this.notBefore, now + untilReset / (remaining + 1));
  }
}
