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

  /** The current window of the endpoint without counting a request (GET /rate_limits). */
  peek(endpoint: string): RateLimitInfo {
    const { start, used } = this.window(endpoint);
    const limit = this.limitOf(endpoint);
    return { limit, remaining: Math.max(0, limit - used), reset: start + 60 };
  }

  /** Endpoints with a documented quota or a request counted so far. */
  endpoints(): string[] {
    return [...new Set([...Object.keys(LIMITS), ...this.windows.keys()])].filter((endpoint) => endpoint !== 'Unknown').sort();
  }

  private window(endpoint: string): { start: number; used: number } {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const start = nowSeconds - (nowSeconds % 60);
    const window = this.windows.get(endpoint);
    return { start, used: window?.start === start ? window.used : 0 };
  }

  /** Counts one request to the endpoint and returns the headers' values after it. */
  consume(endpoint: string): RateLimitInfo {
    const { start, used } = this.window(endpoint);
    this.windows.set(endpoint, { start, used: used + 1 });
    return this.peek(endpoint);
  }
}

export function setRateLimitHeaders(res: ServerResponse, info: RateLimitInfo): void {
  res.setHeader('X-RateLimit-Limit', String(info.limit));
  res.setHeader('X-RateLimit-Remaining', String(info.remaining));
  res.setHeader('X-RateLimit-Reset', String(info.reset));
}
