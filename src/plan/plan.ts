import { earliest } from '../utils/timestamps.js';
import type { ChannelSummary } from '../stream-api/channels.js';
import type { Coverage, PlanClock } from './coverage.js';

/** One channel to export: its window starts after `since` (undefined: the beginning) and ends at the sync's start. */
export interface PlannedChannel {
  cid: string;
  since: string | undefined;
}

export interface ChannelPlan {
  /** In cid order, the order progress is recorded in. */
  channels: PlannedChannel[];
  counts: { listed: number; newcomers: number; lagging: number; swept: number; active: number };
  /** Summed message_count of the planned channels, where Stream gave it. */
  messageEstimate: number | undefined;
}

/**
 * The pure heart of planning: each listed channel that some stream needs, with the window that
 * serves them all (the earliest need of the message streams; empty when none needs messages).
 * Channels are taken as they are listed; only the planned ones are kept.
 */
export async function planChannels(
  listed: Iterable<ChannelSummary> | AsyncIterable<ChannelSummary>,
  coverages: readonly Coverage[],
  clock: PlanClock,
): Promise<ChannelPlan> {
  const channels: PlannedChannel[] = [];
  const counts = { listed: 0, newcomers: 0, lagging: 0, swept: 0, active: 0 };
  let messageEstimate: number | undefined;
  for await (const channel of listed) {
    counts.listed += 1;
    const needing = coverages.filter((coverage) => coverage.needs(channel));
    if (needing.length === 0) continue;
    const { cid } = channel;
    const windows = needing.filter((coverage) => coverage.shape === 'window');
    const since = windows.length === 0 ? clock.windowEnd : windows.map((coverage) => coverage.floor(cid)).reduce(earlier);
    const whole = needing.some((coverage) => coverage.coveredUntil(cid) === undefined);
    const lagging = needing.some((coverage) => coverage.isLagging(cid));
    channels.push({ cid, since });
    if (whole) counts.newcomers += 1;
    else if (lagging) counts.lagging += 1;
    else if (needing.some((coverage) => coverage.needsSweep(cid))) counts.swept += 1;
    else counts.active += 1;
    if (channel.message_count !== undefined) messageEstimate = (messageEstimate ?? 0) + channel.message_count;
  }
  channels.sort((a, b) => (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0));
  return { channels, counts, messageEstimate };
}

/** The earlier of two window starts, undefined being the beginning. */
function earlier(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined || b === undefined ? undefined : earliest(a, b);
}
