import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { parseExportBatches } from '../export/parse-export.js';
import { runPipeline } from '../export/task-pipeline.js';
import { hoursBefore } from '../utils/timestamps.js';
import type { ConfiguredStream } from '../protocol/inputs.js';
import type { PlanClock } from '../plan/coverage.js';
import { Coverage } from '../plan/coverage.js';
import type { ListingPlan } from '../plan/listing.js';
import { fullListing, planListing } from '../plan/listing.js';
import { nextState } from '../plan/next-state.js';
import type { ChannelPlan } from '../plan/plan.js';
import { planChannels } from '../plan/plan.js';
import type { Selection } from '../plan/selection.js';
import { selectionOf } from '../plan/selection.js';
import { windowEnd } from '../plan/window-end.js';
import type { UsersPlan } from '../plan/users-plan.js';
import { nextUsersState, planUsers } from '../plan/users-plan.js';
import type { CompactState } from '../plan/stored-state.js';
import { RecentSet } from '../utils/recent-set.js';
import { EmbeddedUsers, type WriteUser } from './embedded-users.js';
import { listUsers } from './list-users.js';
import type { StoredState } from '../plan/stored-state.js';
import { legacySweptAt, migrateLegacy, readStoredState, writeStoredState } from '../plan/stored-state.js';
import type { ChannelSummary, CompletedTask } from '../stream-api/client.js';
import { toRecords, type StreamName } from '../records/index.js';
import { Admission } from './admission.js';
import { Checkpoints } from './checkpoints.js';
import type { ExportJob, JobContext, SyncClient } from './export-job.js';
import { BatchSize, planJobs } from './export-job.js';
import { failedExports } from './failed-exports.js';
import { listChannels } from './list-channels.js';
import { ChannelProgress } from './progress.js';
import type { SyncWriter } from './sync-writer.js';

export interface SyncInput {
  config: Config;
  /** The streams of the configured catalog, in catalog order. */
  streams: ConfiguredStream[];
  /** stream name → its stream_state from the state file (absent: no state). */
  state: ReadonlyMap<string, Record<string, unknown>>;
  writer: SyncWriter;
  client: SyncClient;
  signal: AbortSignal;
  /** Where the sync's windows end; default Stream's clock less the settle margin (windowEnd). */
  now?: Date;
}

/** Distinct skip reasons counted per export; past this, the rest are counted together. */
const MAX_SKIP_REASONS = 50;
const HEARTBEAT_CHECK_MS = 60_000;

/**
 * `read`: plan (states + listing → channels to export) → export jobs in flight → entities → records
 * (admission) → checkpoints → writer. Statuses around it; a failed export lags, the others go on.
 */
export async function runSync(input: SyncInput): Promise<void> {
  const { config, writer, client } = input;
  // A heartbeat that cannot write stops the sync like any failure to write.
  const heartbeatFailed = new AbortController();
  const signal = AbortSignal.any([input.signal, heartbeatFailed.signal]);
  const names = input.streams.map((stream) => stream.name);
  const clock = clockOf(config, input.now ?? (await windowEndNow(input)));
  const selection = selectionOf(config);
  const stored = new Map(input.streams.map(({ name, syncMode }) => [name, syncMode === 'incremental' ? readStoredState(name, input.state.get(name)) : none]));
  let coverages = coveragesOf(stored, clock);
  let progress = new ChannelProgress([]);
  let admission = new Admission(coverages);
  let legacyPending = [...stored.values()].some((state) => state.kind === 'legacy');
  const usersState = compactOf(stored.get('users'));
  const usersPlan = names.includes('users') ? planUsers(usersState, clock) : undefined;
  let usersListed = false;
  const checkpoints = new Checkpoints(writer, names, (name) => {
    if (name === 'users') return writeStoredState(name, nextUsersState(usersState, usersPlan as UsersPlan, usersListed, admission.newestOf(name)));
    // Until a 0.1.0 state is migrated (after the listing), a checkpoint hands it back as it came.
    if (legacyPending && stored.get(name)?.kind === 'legacy') return input.state.get(name) ?? {};
    const coverage = coverages.get(name) as Coverage;
    return writeStoredState(name, nextState(coverage, progress.outcome(admission.newestOf(name)), clock, selection));
  });
  const recentUsers = new RecentSet(RECENT_USERS);
  const writeUser: WriteUser = (data, json) => {
    admission.admit('users', data);
    return checkpoints.record('users', data, json);
  };
  const embeddedUsers = usersPlan && new EmbeddedUsers((ids) => client.knownUserIds(ids, signal), writeUser, recentUsers);
  const heartbeat = setInterval(() => {
    checkpoints.heartbeat()?.catch((error: unknown) => heartbeatFailed.abort(error));
  }, HEARTBEAT_CHECK_MS);
  heartbeat.unref();

  try {
    for (const name of names) await writer.streamStatus(name, 'STARTED');
    if (config.user_ids.length > 0) await writer.log('WARN', USER_IDS_IGNORED);
    const legacy = legacyPending;
    const listing = legacy
      ? fullListing(selection, config.include_soft_deleted_channels, 'migrating a state of version 0.1.0')
      : planListing([...coverages.values()], selection, clock, config.include_soft_deleted_channels);
    let listed: AsyncIterable<ChannelSummary> | ChannelSummary[] = listChannels(client, listing, selection, (message) => writer.log('WARN', message), signal);
    if (legacy) {
      // Once, after an upgrade: the old state is read against every selected channel.
      const all: ChannelSummary[] = [];
      for await (const channel of listed) all.push(channel);
      coverages = coveragesOf(
        migrated(
          stored,
          all.map((channel) => channel.cid),
          selection,
        ),
        clock,
      );
      admission = new Admission(coverages);
      legacyPending = false;
      listed = all;
    }
    const plan = await planChannels(listed, [...coverages.values()], clock);
    progress = new ChannelProgress(plan.channels.map((channel) => channel.cid));
    const jobs = planJobs(plan.channels, config);

    for (const name of names) await writer.streamStatus(name, 'RUNNING');
    if (coverages.has('channels')) await writer.estimate('channels', plan.channels.length);
    if (coverages.has('messages') && plan.messageEstimate !== undefined) await writer.estimate('messages', plan.messageEstimate);
    await writer.log('INFO', describePlan({ listing, plan, jobs: jobs.length, coverages: [...coverages.values()], clock, config, usersPlan }));
    writer.progress?.(0, jobs.length);

    if (usersPlan !== undefined) {
      const skipped = new Skipped();
      await listUsers(client, usersPlan, writeUser, recentUsers, skipped.note, signal);
      await skipped.report(writer, 'Query users');
      usersListed = true;
      await checkpoints.save({ force: true });
    }

    const context: JobContext = {
      client,
      config,
      until: clock.startedAt,
      batchSize: new BatchSize(config.channels_per_export),
      log: (level, message) => writer.log(level, message),
    };
    let done = 0;
    const failures = await runPipeline(jobs, {
      concurrency: config.max_concurrent_exports,
      signal,
      prepare: (job, jobSignal) => job.start(context, jobSignal),
      consume: async (job, tasks, jobSignal) => {
        const arrived = new Set<string>();
        for (const task of tasks) await writeExport(job, task, arrived, jobSignal);
        await embeddedUsers?.flush();
        // A channel's instants move only when something of it arrived: a file that leaves one out says nothing of it.
        const absent = job.cids.filter((cid) => !arrived.has(cid));
        if (absent.length > 0)
          await writer.log(
            'WARN',
            `The export of ${job.description} held nothing of ${absent.join(', ')}: they keep their state and are exported again next time`,
          );
        progress.settle(absent, false);
        progress.settle(
          job.cids.filter((cid) => arrived.has(cid)),
          true,
        );
        await checkpoints.save();
        done += 1;
        await writer.log('INFO', `Export ${done}/${jobs.length} written (${job.description}); ${checkpoints.total} record(s) so far`);
        writer.progress?.(done, jobs.length);
      },
      onFailed: (job) => progress.settle(job.cids, false),
      isFatal: (error) => error instanceof ConfigError,
    });

    progress.finished = true;
    await checkpoints.save({ final: true, force: true });
    if (failures.length > 0) throw failedExports(failures, jobs.length);
    for (const name of names) await writer.streamStatus(name, 'COMPLETE');
  } catch (error) {
    if (heartbeatFailed.signal.aborted) throw heartbeatFailed.signal.reason;
    if (!signal.aborted) {
      // The batches written before a fatal error keep their states (a signal's interrupt drops them).
      await checkpoints.save({ force: true });
      for (const name of names) await writer.streamStatus(name, 'INCOMPLETE');
    }
    throw error;
  } finally {
    clearInterval(heartbeat);
  }

  /** A record nested deeper than JSON.stringify can go (Stream's own bytes aside) is an odd line: skipped, counted. */
  function writeRecord(
    stream: StreamName,
    data: Record<string, unknown>,
    json: Uint8Array | undefined,
    note: (reason: string) => void,
  ): Promise<void> | undefined {
    try {
      return checkpoints.record(stream, data, json);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const first = [data.id, data.cid, data.message_id].find((value) => typeof value === 'string') ?? '?';
      note(`${stream} record(s) nested too deeply to write as JSON (${first} first): skipped`);
      return undefined;
    }
  }

  async function writeExport(job: ExportJob, task: CompletedTask, arrived: Set<string>, jobSignal: AbortSignal): Promise<void> {
    const skipped = new Skipped();
    const note = skipped.note;
    // v2 reactions come from reaction lines; Stream's v2 line format is undocumented, so say so
    // loudly if a file has reactions only inside messages.
    let reactionLines = 0;
    let messagesWithReactions = 0;
    // Entities come a downloaded chunk at a time and are written without a promise each: the
    // writer's promise is awaited only when it is full.
    for await (const entities of parseExportBatches(client.download(task.task_id, task.result.url, jobSignal), job.format, note)) {
      for (const entity of entities) {
        if (entity.cid !== undefined && entity.kind !== 'reaction') arrived.add(entity.cid);
        if (entity.kind === 'reaction') reactionLines += 1;
        else if (
          entity.kind === 'message' &&
          !entity.reactionsInline &&
          Array.isArray(entity.data.latest_reactions) &&
          entity.data.latest_reactions.length > 0
        ) {
          messagesWithReactions += 1;
        }
        // An entity's own record comes first, then the users embedded in it: those of a record written
        // are kept for referential completeness. User lines are not taken: users come from query users.
        if (entity.kind === 'user') continue;
        let written = false;
        for (const record of toRecords(entity, note)) {
          if (record.stream === 'users') {
            if (written) await embeddedUsers?.add(record.data, record.json);
            continue;
          }
          written = admission.admit(record.stream, record.data) && coverages.has(record.stream);
          if (!written) continue;
          const wait = writeRecord(record.stream, record.data, record.json, note);
          if (wait) await wait;
        }
      }
    }
    await skipped.report(writer, `Task ${task.task_id}`);
    if (coverages.has('reactions') && job.cids.length > 0 && reactionLines === 0 && messagesWithReactions > 0) {
      await writer.log(
        'WARN',
        `Task ${task.task_id}: ${messagesWithReactions} message(s) have latest_reactions but the export has no reaction lines, so their reactions were not written; export_format v1 takes reactions from latest_reactions`,
      );
    }
  }
}

const none: StoredState = { kind: 'none' };
/** Users looked up or listed lately, not looked up again (a bound on memory, not on correctness). */
const RECENT_USERS = 50_000;
const USER_IDS_IGNORED =
  'user_ids is ignored: the users stream lists every user of the app through query users (user_ids named users for the user export, no longer needed)';

/** Lines or records skipped, counted by reason (past MAX_SKIP_REASONS, the rest together), for one WARN each. */
class Skipped {
  private readonly counts = new Map<string, number>();

  readonly note = (reason: string): void => {
    const key = this.counts.has(reason) || this.counts.size < MAX_SKIP_REASONS ? reason : 'other reasons';
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };

  async report(writer: SyncWriter, what: string): Promise<void> {
    for (const [reason, count] of this.counts) await writer.log('WARN', `${what}: ${count} × ${reason}`);
  }
}

function compactOf(stored: StoredState | undefined): CompactState | undefined {
  return stored?.kind === 'compact' ? stored.state : undefined;
}

async function windowEndNow({ client, config, writer, signal }: SyncInput): Promise<Date> {
  const end = windowEnd(await client.streamTime(signal), config.settle_margin_seconds);
  if (end.warning !== undefined) await writer.log('WARN', end.warning);
  return end.at;
}

function clockOf(config: Config, now: Date): PlanClock {
  const startedAt = now.toISOString();
  return {
    startedAt,
    startDate: config.start_date,
    lookbackHours: config.lookback_window_hours,
    sweepCutoff: hoursBefore(startedAt, config.full_sweep_interval_hours),
  };
}

/** The channel streams' coverages: users do not come from channel exports. */
function coveragesOf(stored: ReadonlyMap<StreamName, StoredState>, clock: PlanClock): Map<StreamName, Coverage> {
  const channelStreams = [...stored].filter(([name]) => name !== 'users');
  return new Map(channelStreams.map(([name, state]) => [name, new Coverage(name, compactOf(state), clock)]));
}

function migrated(stored: ReadonlyMap<StreamName, StoredState>, listed: readonly string[], selection: Selection): Map<StreamName, StoredState> {
  const sweptAt = legacySweptAt(stored.values());
  return new Map([...stored].map(([name, state]) => [name, state.kind === 'legacy' ? migrateLegacy(name, state.state, listed, selection, sweptAt) : state]));
}

interface PlanDescription {
  listing: ListingPlan;
  plan: ChannelPlan;
  jobs: number;
  coverages: readonly Coverage[];
  clock: PlanClock;
  config: Config;
  usersPlan: UsersPlan | undefined;
}

function usersDescription(plan: UsersPlan | undefined): string {
  if (plan === undefined) return 'users not selected';
  return plan.full ? 'every user from query users' : `users updated after ${plan.after} from query users`;
}

function describePlan({ listing, plan, jobs, coverages, clock, config, usersPlan }: PlanDescription): string {
  const { counts } = plan;
  const swept = coverages.map((coverage) => coverage.state?.swept).find((at) => at !== undefined);
  const sweep = coverages.some((coverage) => coverage.sweepDue)
    ? `full sweep: yes (${swept === undefined ? 'none before' : `last ${swept}`}, every ${config.full_sweep_interval_hours} h)`
    : `full sweep: no (last ${swept ?? 'never'}, every ${config.full_sweep_interval_hours} h)`;
  return (
    `Planned ${jobs} export(s) for ${plan.channels.length} channel(s), listed ${listing.full ? 'in full' : 'by activity'}${listing.why === '' ? '' : ` (${listing.why})`}: ` +
    `${counts.listed} listed, ${counts.active} with activity, ${counts.lagging} lagging, ${counts.newcomers} read whole (new to the selection or first sync), ` +
    `${counts.swept} swept; ${sweep}; ${usersDescription(usersPlan)}; messages until ${clock.startedAt}`
  );
}
