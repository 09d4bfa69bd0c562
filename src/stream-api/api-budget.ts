import type { HeaderValue } from './header-value.js';
import { firstListValue } from './rate-limit-headers.js';
import { sleep } from './sleep.js';

const WINDOW_MS = 60_000;
/** Over the share because of the app's own users: one query a second, while the app keeps this much of its budget free. */
const TRICKLE_MS = 1_000;
const TRICKLE_CEILING = 0.9;
const TRICKLE_PAUSE_MS = 5_000;

export interface BudgetReading {
  usedMs: number;
  limitMs: number;
}

/** What the gate says before a query: go (0), or wait this long and why. */
export interface BudgetWait {
  waitMs: number;
  why?: 'ours' | 'theirs' | 'full';
}

/** The `X-Budget-*` headers of a budgeted answer, when it has them. */
export function budgetOf(headers: Record<string, HeaderValue>): BudgetReading | undefined {
  const usedMs = Number(firstListValue(headers['x-budget-used-ms']));
  const limitMs = Number(firstListValue(headers['x-budget-limit-ms']));
  return Number.isFinite(usedMs) && Number.isFinite(limitMs) && limitMs > 0 ? { usedMs, limitMs } : undefined;
}

/**
 * Keeps the app's use of its API budget (database time a sliding minute, shared with the app's own
 * users' channel lists: stream-export-api.md §8.4) under `share` of its limit, as `X-Budget-Used-Ms`
 * tells it after each query. Over it because of this sync's own queries, the next waits until enough
 * of them have left the minute; over it because of the app's own users, queries go on at a trickle
 * (one a second, and none while the app's use is past 90 % of its limit), so a sync always ends.
 */
export class BudgetGate {
  /** When this client's queries were answered, oldest first (within the last minute). */
  private readonly ours: number[] = [];
  private last: (BudgetReading & { at: number }) | undefined;
  /** One of our queries' cost, as the smallest rise of the use between two answers close together. */
  private costMs: number | undefined;

  constructor(
    private readonly share: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long to wait before the next query, and why. */
  wait(): BudgetWait {
    const reading = this.last;
    if (reading === undefined) return { waitMs: 0 };
    const now = this.now();
    const cost = this.costMs ?? reading.limitMs / 300;
    // Our queries the reading counted, and those of them that have left the minute since.
    const counted = this.ours.filter((at) => at > reading.at - WINDOW_MS && at <= reading.at);
    const inWindow = counted.filter((at) => at > now - WINDOW_MS);
    const used = reading.usedMs - (counted.length - inWindow.length) * cost;
    const excess = used + cost - this.share * reading.limitMs;
    if (excess <= 0) return { waitMs: 0 };
    if (inWindow.length * cost >= excess) {
      const leaving = inWindow[Math.min(inWindow.length, Math.ceil(excess / cost)) - 1] as number;
      return { waitMs: Math.max(1, leaving + WINDOW_MS - now), why: 'ours' };
    }
    if (used + cost > TRICKLE_CEILING * reading.limitMs) return { waitMs: TRICKLE_PAUSE_MS, why: 'full' };
    const sinceLast = now - (this.ours.at(-1) ?? 0);
    return sinceLast >= TRICKLE_MS ? { waitMs: 0 } : { waitMs: TRICKLE_MS - sinceLast, why: 'theirs' };
  }

  /** Reads a budgeted answer's headers (the query it answers counted as ours). */
  observe(headers: Record<string, HeaderValue>): void {
    const reading = budgetOf(headers);
    const now = this.now();
    this.ours.push(now);
    while ((this.ours[0] as number) <= now - 2 * WINDOW_MS) this.ours.shift();
    if (reading === undefined) return;
    const before = this.last;
    if (before !== undefined && now - before.at < TRICKLE_MS && reading.usedMs > before.usedMs) {
      const rise = reading.usedMs - before.usedMs;
      this.costMs = this.costMs === undefined ? rise : Math.min(this.costMs, rise);
    }
    this.last = { ...reading, at: now };
  }

  /** Waits as `wait` says, telling `onWait` each time it does. */
  async pass(onWait: (wait: BudgetWait, reading: BudgetReading) => unknown, signal?: AbortSignal): Promise<void> {
    for (let wait = this.wait(); wait.waitMs > 0; wait = this.wait()) {
      await onWait(wait, this.last as BudgetReading);
      await sleep(wait.waitMs, signal);
    }
  }
}
