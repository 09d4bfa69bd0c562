import type { ServerResponse } from 'node:http';

// Per-endpoint quotas per one-minute window, as Stream documents them (stream-export-api.md §8.3).
// Counted and reported on every response, never enforced: 429s come only from the rateLimit fault.
const LIMITS: Record<string, number> = {
  ExportChannels: 60,
  ExportUsers: 60,
  ExportUser: 60,
  QueryChannels: 10_000,
  QueryUsers: 1_000,
};
const UNDOCUMENTED_LIMIT = 1_000;

export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** End of the window, Unix epoch seconds. */
  reset: number;
}

export class RateLimits {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(private readonly now: () => Date) {}

  limitOf(endpoint: string): number {
    return LIMITS[endpoint] ?? UNDOCUMENTED_LIMIT;
  }

  /** Counts one request to the endpoint and returns the headers' values after it. */
  consume(endpoint: string): RateLimitInfo {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const start = nowSeconds - (nowSeconds % 60);
    const window = this.windows.get(endpoint);
    const used = window?.start === start ? window.used + 1 : 1;
    this.windows.set(endpoint, { start, used });
    const limit = this.limitOf(endpoint);
    return { limit, remaining: Math.max(0, limit - used), reset: start + 60 };
  }
}

export function setRateLimitHeaders(res: ServerResponse, info: RateLimitInfo): void {
  res.setHeader('X-RateLimit-Limit', String(info.limit));
  res.setHeader('X-RateLimit-Remaining', String(info.remaining));
  res.setHeader('X-RateLimit-Reset', String(info.reset));
}
