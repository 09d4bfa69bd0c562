import { Instant } from '../utils/instant.js';
import type { ChannelSummary } from '../stream-api/channels.js';
import { activityOf, type ChannelActivity, type Coverage, type PlanClock } from './coverage.js';

/** One channel to export: its window starts after `since` (undefined: the beginning) and ends at the window end. */
export interface PlannedChannel {
  cid: string;
  /** As listed (absent for a channel named and not asked of Stream). */
  created_at?: Instant;
  since: Instant | undefined;
}

export interface PlanCounts {
  listed: number;
  newcomers: number;
  lagging: number;
  swept: number;
  active: number;
}

/**
 * The pure heart of planning: each listed channel that some stream needs, with the window that
 * serves them all (the earliest need of the message streams; its last millisecond when none needs
 * messages: Stream may refuse an empty window, and admission drops what the states cover), as it
 * is listed — in the listing's order, nothing held. The counts and the message estimate are whole
 * once the listing is.
 */
export class ChannelPlanner {
  readonly counts: PlanCounts = { listed: 0, newcomers: 0, lagging: 0, swept: 0, active: 0 };
  /** Summed message_count of the planned channels, where Stream gave it. */
  messageEstimate: number | undefined;
  planned = 0;

  constructor(
    private readonly coverages: readonly Coverage[],
    private readonly clock: PlanClock,
  ) {}

  async *plan(listed: Iterable<ChannelSummary> | AsyncIterable<ChannelSummary>): AsyncGenerator<PlannedChannel> {
    for await (const summary of listed) {
      this.counts.listed += 1;
      const channel = activityOf(summary);
      const planned = this.place(channel);
      if (planned === undefined) continue;
      this.planned += 1;
      if (channel.message_count !== undefined) this.messageEstimate = (this.messageEstimate ?? 0) + channel.message_count;
      yield planned;
    }
  }

  private place(channel: ChannelActivity): PlannedChannel | undefined {
    const needing = this.coverages.filter((coverage) => coverage.needs(channel));
    if (needing.length === 0) return undefined;
    const { cid, created_at } = channel;
    const windows = needing.filter((coverage) => coverage.shape === 'window');
    const since = windows.length === 0 ? this.clock.windowEnd.justBefore() : windows.map((coverage) => coverage.floor(channel)).reduce(earlier);
    if (needing.some((coverage) => coverage.coveredUntil(channel) === undefined)) this.counts.newcomers += 1;
    else if (needing.some((coverage) => coverage.isLagging(cid))) this.counts.lagging += 1;
    else if (needing.some((coverage) => coverage.needsSweep(channel))) this.counts.swept += 1;
    else this.counts.active += 1;
    return created_at === undefined ? { cid, since } : { cid, created_at, since };
  }
}

/** The earlier of two window starts, undefined being the beginning. */
function earlier(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  return a === undefined || b === undefined ? undefined : Instant.earlier(a, b);
}
