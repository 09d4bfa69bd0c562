import type { ServerResponse } from 'node:http';

// Per-endpoint quotas per one-minute window, as Stream documents them (stream-export-api.md §8.3), and the
// per-second cap of §8.4: "the per-second limit equals the per-minute limit divided by 30". Both windows
// are aligned to the emulator clock (its minute, its second) and both are enforced.
const LIMITS: Record<string, number> = {
  ExportChannels: 60,
  ExportUsers: 60,
  ExportUser: 60,
  QueryChannels: 10_000,
  QueryUsers: 1_000,
};
const UNDOCUMENTED_LIMIT = 1_000;
const PER_SECOND_DIVISOR = 30;

export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** End of the window, Unix epoch seconds. */
  reset: number;
}

export interface RateLimitOptions {
  /** Refuse a request past an endpoint's per-second limit (its per-minute limit / 30). Default true. */
  perSecond?: boolean;
  /** Refuse a request past an endpoint's per-minute limit. Default true. */
  perMinute?: boolean;
}

export interface RateLimitedCounts {
  perSecond: number;
  perMinute: number;
}

export interface RateLimitedStats extends RateLimitedCounts {
  byEndpoint: Record<string, RateLimitedCounts>;
}

/** What the limiter decided for one request: the headers to send, and when refused, the window that refused it. */
export type RateLimitDecision =
  { info: RateLimitInfo; refusedBy?: undefined } | { info: RateLimitInfo; refusedBy: 'perSecond' | 'perMinute'; retryAfterSeconds: number };

interface Window {
  start: number;
  used: number;
}

export class RateLimits {
  private readonly minutes = new Map<string, Window>();
  private readonly seconds = new Map<string, Window>();
  private readonly enforce: Required<RateLimitOptions>;
  readonly rateLimited: RateLimitedStats = { perSecond: 0, perMinute: 0, byEndpoint: {} };

  constructor(
    private readonly now: () => Date,
    options: RateLimitOptions = {},
  ) {
    this.enforce = { perSecond: options.perSecond ?? true, perMinute: options.perMinute ?? true };
  }

  limitOf(endpoint: string): number {
    return LIMITS[endpoint] ?? UNDOCUMENTED_LIMIT;
  }

  perSecondLimitOf(endpoint: string): number {
    return Math.max(1, Math.floor(this.limitOf(endpoint) / PER_SECOND_DIVISOR));
  }

  /** The current minute of the endpoint without counting a request (GET /rate_limits). */
  peek(endpoint: string): RateLimitInfo {
    const nowSeconds = this.nowSeconds();
    const start = nowSeconds - (nowSeconds % 60);
    const limit = this.limitOf(endpoint);
    return { limit, remaining: Math.max(0, limit - used(this.minutes, endpoint, start)), reset: start + 60 };
  }

  /** Endpoints with a documented quota or a request counted so far. */
  endpoints(): string[] {
    return [...new Set([...Object.keys(LIMITS), ...this.minutes.keys()])].filter((endpoint) => endpoint !== 'Unknown').sort();
  }

  /**
   * Counts one request to the endpoint, unless a spent window refuses it (a refused request counts in
   * neither window). The headers are the minute's, or those of the window that refused.
   */
  consume(endpoint: string): RateLimitDecision {
    const nowSeconds = this.nowSeconds();
    const minute = this.peek(endpoint);
    if (this.enforce.perMinute && minute.remaining === 0) {
      this.count(endpoint, 'perMinute');
      return { info: minute, refusedBy: 'perMinute', retryAfterSeconds: Math.max(1, minute.reset - nowSeconds) };
    }
    const perSecond = this.perSecondLimitOf(endpoint);
    const usedThisSecond = used(this.seconds, endpoint, nowSeconds);
    if (this.enforce.perSecond && usedThisSecond >= perSecond) {
      this.count(endpoint, 'perSecond');
      return { info: { limit: perSecond, remaining: 0, reset: nowSeconds + 1 }, refusedBy: 'perSecond', retryAfterSeconds: 1 };
    }
    const minuteStart = minute.reset - 60;
    this.seconds.set(endpoint, { start: nowSeconds, used: usedThisSecond + 1 });
    this.minutes.set(endpoint, { start: minuteStart, used: used(this.minutes, endpoint, minuteStart) + 1 });
    return { info: this.peek(endpoint) };
  }

  private count(endpoint: string, window: keyof RateLimitedCounts): void {
    this.rateLimited[window]++;
    const counts = (this.rateLimited.byEndpoint[endpoint] ??= { perSecond: 0, perMinute: 0 });
    counts[window]++;
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

function used(windows: Map<string, Window>, endpoint: string, start: number): number {
  const window = windows.get(endpoint);
  return window?.start === start ? window.used : 0;
}

export function setRateLimitHeaders(res: ServerResponse, info: RateLimitInfo): void {
  res.setHeader('X-RateLimit-Limit', String(info.limit));
  res.setHeader('X-RateLimit-Remaining', String(info.remaining));
  res.setHeader('X-RateLimit-Reset', String(info.reset));
}
