import type { Config } from '../config.js';
import type { Coverage, PlanClock } from '../plan/coverage.js';
import { legacySweptAt, migrateLegacy, type LegacyState } from '../plan/legacy-state.js';
import { fullListing, planListing, type ListingPlan } from '../plan/listing.js';
import { ChannelPlanner } from '../plan/plan.js';
import type { Selection } from '../plan/selection.js';
import type { StoredState } from '../plan/state-codec.js';
import type { StreamState } from '../plan/stream-state.js';
import type { UsersPlan } from '../plan/users-plan.js';
import type { StreamName } from '../records/index.js';
import type { ChannelSummary } from '../stream-api/client.js';
import { planJobs, type ExportJob, type SyncClient } from './export-job.js';
import type { ChannelStream, Ledger } from './ledger.js';
import { listSelectedChannels, type ListingHandlers } from './list-selected-channels.js';

/**
 * What a sync will do: the listing, and the export jobs cut from the channels as they are listed (in
 * created_at order, never all held). The counts, the estimates and the LOG line are whole once the jobs are.
 */
export interface SyncPlan {
  listing: ListingPlan;
  planner: ChannelPlanner;
  jobs: AsyncIterable<ExportJob>;
  /** The planning LOG line, once every job is out. */
  description(jobs: number): string;
}

export interface PlanInput {
  config: Config;
  client: SyncClient;
  ledger: Ledger;
  stored: ReadonlyMap<StreamName, StoredState>;
  selection: Selection;
  clock: PlanClock;
  usersPlan: UsersPlan | undefined;
  handlers: ListingHandlers;
  signal: AbortSignal;
}

/**
 * The channels to export, each with its window, in batches: listed by activity since the states (or
 * every selected channel), placed by the streams' coverages. A 0.1.0 state is migrated first.
 */
export async function planSync(input: PlanInput): Promise<SyncPlan> {
  const { config, selection, clock, ledger } = input;
  const legacy = [...input.stored].filter((entry): entry is [ChannelStream, { kind: 'legacy'; state: LegacyState }] => entry[1].kind === 'legacy');
  const listing =
    legacy.length > 0
      ? fullListing(selection, config.include_soft_deleted_channels, 'migrating a state of version 0.1.0')
      : planListing(ledger.channelCoverages, selection, clock, config.include_soft_deleted_channels);
  let listed: AsyncIterable<ChannelSummary> | ChannelSummary[] = listSelectedChannels(input.client, listing, selection, input.handlers, input.signal);
  if (legacy.length > 0) {
    // Once, after an upgrade: every selected channel is held to read the old states against.
    listed = await collect(listed);
    ledger.migrate(migrated(legacy, listed, selection));
  }
  const planner = new ChannelPlanner(ledger.channelCoverages, clock);
  return {
    listing,
    planner,
    jobs: planJobs(planner.plan(listed), config),
    description: (jobs) => describePlan({ ...input, listing, planner, jobs }),
  };
}

async function collect(channels: AsyncIterable<ChannelSummary>): Promise<ChannelSummary[]> {
  const all: ChannelSummary[] = [];
  for await (const channel of channels) all.push(channel);
  return all;
}

/** Once, after an upgrade: the old states read against every selected channel. */
function migrated(
  legacy: ReadonlyArray<[ChannelStream, { state: LegacyState }]>,
  listed: readonly ChannelSummary[],
  selection: Selection,
): Map<ChannelStream, StreamState | undefined> {
  const cids = listed.map((channel) => channel.cid);
  const sweptAt = legacySweptAt(legacy.map(([, stored]) => stored.state));
  return new Map(legacy.map(([name, stored]) => [name, migrateLegacy(name, stored.state, cids, selection, sweptAt)]));
}

interface PlanDescription extends PlanInput {
  listing: ListingPlan;
  planner: ChannelPlanner;
  jobs: number;
}

function usersDescription(plan: UsersPlan | undefined): string {
  if (plan === undefined) return 'users not selected';
  return plan.full ? 'every user from query users' : `users updated after ${String(plan.after)} from query users`;
}

function sweepDescription(coverages: readonly Coverage[], config: Config): string {
  const swept = coverages.map((coverage) => coverage.state?.swept?.toString()).find((at) => at !== undefined);
  const every = `every ${config.full_sweep_interval_hours} h`;
  if (coverages.some((coverage) => coverage.sweepDue)) return `full sweep: yes (${swept === undefined ? 'none before' : `last ${swept}`}, ${every})`;
  return `full sweep: no (last ${swept ?? 'never'}, ${every})`;
}

function describePlan({ listing, planner, jobs, ledger, clock, config, usersPlan }: PlanDescription): string {
  const { counts } = planner;
  const why = listing.why === '' ? '' : ` (${listing.why})`;
  return (
    `Planned ${jobs} export(s) for ${planner.planned} channel(s), listed ${listing.full ? 'in full' : 'by activity'}${why}: ` +
    `${counts.listed} listed, ${counts.active} with activity, ${counts.lagging} lagging, ${counts.newcomers} read whole (new to the selection or first sync), ` +
    `${counts.swept} swept; ${sweepDescription(ledger.channelCoverages, config)}; ${usersDescription(usersPlan)}; messages until ${clock.windowEnd.toString()}`
  );
}
