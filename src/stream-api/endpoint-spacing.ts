import type { HeaderValue } from './header-value.js';
import { firstListValue } from './rate-limit-headers.js';
import { sleep } from './sleep.js';

/** Stream's documented per-minute limits (stream-export-api.md §8.3), until an answer's `X-RateLimit-Limit` says otherwise. */
const DOCUMENTED_PER_MINUTE: Record<string, number> = {
  ExportChannels: 60,
  ExportUsers: 60,
  ExportUser: 60,
  QueryChannels: 10_000,
  QueryUsers: 1_000,
};
/**
 * For endpoints Stream documents no limit for (GetTask, GetExportChannelsStatus, GetRateLimits) until
 * they answer with one: 10 a second, below what its documented endpoints allow but the exports.
 */
const UNDOCUMENTED_PER_MINUTE = 300;
/** "The per-second limit equals the per-minute limit divided by 30" (Stream's rate-limit docs). */
const PER_SECOND_DIVISOR = 30;

/**
 * Spaces the requests of each endpoint so that none goes faster than its per-second limit (its
 * per-minute limit / 30), from the very first request: a guest in the customer's app never bursts into
 * 429s. An endpoint with a share (query users) is spaced to that share of its per-minute limit as well.
 */
export class EndpointSpacing {
  private readonly limits = new Map<string, number>();
  private readonly nextAt = new Map<string, number>();

  constructor(
    /** endpoint → the share of its per-minute limit this client may use (0–1]. */
    private readonly shares: Readonly<Record<string, number>> = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the endpoint may be called again, and books that slot. */
  async take(endpoint: string, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextAt.get(endpoint) ?? 0);
    this.nextAt.set(endpoint, at + this.gapMs(endpoint));
    if (at > now) await sleep(at - now, signal);
  }

  /** An answer's `X-RateLimit-Limit` is the endpoint's per-minute limit from now on. */
  observe(endpoint: string, headers: Record<string, HeaderValue>): void {
    const limit = Number(firstListValue(headers['x-ratelimit-limit']));
    if (Number.isFinite(limit) && limit > 0) this.limits.set(endpoint, limit);
  }

  /** The least time between two requests of the endpoint (1 ms more, so no second holds one too many). */
  gapMs(endpoint: string): number {
    const perMinute = this.limits.get(endpoint) ?? DOCUMENTED_PER_MINUTE[endpoint] ?? UNDOCUMENTED_PER_MINUTE;
    const perSecond = Math.max(1, Math.floor(perMinute / PER_SECOND_DIVISOR));
    const share = this.shares[endpoint];
    const shareGap = share === undefined ? 0 : 60_000 / Math.max(1, perMinute * share);
    return Math.ceil(Math.max(1000 / perSecond, shareGap)) + 1;
  }
}
