import type { Config } from '../config.js';
import { ConfigError, SystemError } from '../errors.js';
import { runPipeline } from '../export/task-pipeline.js';
import type { PlanClock } from '../plan/coverage.js';
import { selectionOf, type Selection } from '../plan/selection.js';
import { compactOf, readStoredState, type StoredState } from '../plan/state-codec.js';
import { planUsers, type UsersPlan } from '../plan/users-plan.js';
import { windowEnd } from '../plan/window-end.js';
import type { ConfiguredStream } from '../protocol/inputs.js';
import type { StreamName } from '../records/index.js';
import { Instant } from '../utils/instant.js';
import { RecentSet } from '../utils/recent-set.js';
import { Checkpoints } from './checkpoints.js';
import { EmbeddedUsers, type WriteUser } from './embedded-users.js';
import { BatchSize, type ExportJob, type JobContext, type StartedExport, type SyncClient } from './export-job.js';
import { failedExports, unfoundChannels } from './failed-exports.js';
import { Ledger } from './ledger.js';
import { MemberLists } from './member-lists.js';
import { MessageLists } from './message-lists.js';
import { ReactionLists } from './reaction-lists.js';
import { listUsers } from './list-users.js';
import { planSync, type SyncPlan } from './plan-sync.js';
import { readExport, type ExportProofs } from './read-export.js';
import { recordSink, type RecordSink } from './record-sink.js';
import { Skipped } from './skipped.js';
import type { SyncWriter } from './sync-writer.js';
import { unlistedMessage, type UnlistedGroup } from '../stream-api/channels.js';
import type { ListingHandlers } from './list-selected-channels.js';

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
  /** The output mirrors Stream (local mode): sweeps read each channel's whole history, so they prove every hard deletion. */
  mirror?: boolean;
}

const HEARTBEAT_CHECK_MS = 60_000;
/** Users looked up or listed lately, not looked up again (a bound on memory, not on correctness). */
const RECENT_USERS = 50_000;
const USER_IDS_IGNORED =
  'user_ids is ignored: the users stream lists every user of the app through query users (user_ids named users for the user export, no longer needed)';

/** One sync's fixed inputs and the parts every stage shares. */
interface Run {
  input: SyncInput;
  names: StreamName[];
  clock: PlanClock;
  selection: Selection;
  stored: Map<StreamName, StoredState>;
  usersPlan: UsersPlan | undefined;
  ledger: Ledger;
  checkpoints: Checkpoints;
  recentUsers: RecentSet;
  /** Groups of channels the listing could not separate: the sync fails once every other channel is written. */
  unlisted: UnlistedGroup[];
  /** Channels of channel_ids that Stream could not find: the sync ends with a config_error naming them. */
  unfound: string[];
}

/**
 * `read`: the window end (Stream's clock) → the states → a plan (0.1.0 states migrated on the way) →
 * users from query users → export jobs cut as the channels are listed (the plan announced once they
 * all are), each export read, its records judged by the ledger and written through the checkpoints →
 * finished. Statuses around it; a failed export lags, the others go on.
 */
export async function runSync(input: SyncInput): Promise<void> {
  const run = await startRun(input);
  const heartbeat = startHeartbeat(run.checkpoints);
  const signal = AbortSignal.any([input.signal, heartbeat.failed]);
  try {
    await statuses(run, 'STARTED');
    if (input.config.user_ids.length > 0) await input.writer.log('WARN', USER_IDS_IGNORED);
    const plan = await planSync({ ...input, ...run, handlers: listingHandlers(run), signal });
    await statuses(run, 'RUNNING');
    await syncUsers(run, signal);
    const jobs = new PlannedJobs(run, plan);
    const failures = await syncChannels(run, jobs, signal);
    if (run.unlisted.length > 0) throw new SystemError(unlistedMessage(run.unlisted), { context: { endpoint: 'QueryChannels' } });
    await run.checkpoints.save({ final: true, force: true });
    if (run.unfound.length > 0) throw unfoundChannels(run.unfound, failures, jobs.count);
    if (failures.length > 0) throw failedExports(failures, jobs.count);
    await statuses(run, 'COMPLETE');
  } catch (error) {
    if (heartbeat.failed.aborted) throw heartbeat.failed.reason;
    // The batches written before a fatal error keep their states (a signal's interrupt drops them).
    if (!signal.aborted) {
      await run.checkpoints.save({ force: true });
      await statuses(run, 'INCOMPLETE');
    }
    throw error;
  } finally {
    heartbeat.stop();
  }
}

async function startRun(input: SyncInput): Promise<Run> {
  const { config, writer } = input;
  const names = input.streams.map((stream) => stream.name);
  const clock = clockOf(config, input.now ?? (await windowEndNow(input)), input.mirror === true);
  const stored = new Map(input.streams.map(({ name, syncMode }) => [name, syncMode === 'incremental' ? readStoredState(name, input.state.get(name)) : none]));
  const usersPlan = names.includes('users') ? planUsers(compactOf(stored.get('users')), clock) : undefined;
  const selection = selectionOf(config);
  const ledger = new Ledger({ stored, given: input.state, clock, selection, usersPlan });
  const checkpoints = new Checkpoints(writer, names, (name, final) => ledger.stateOf(name, final));
  return { input, names, clock, selection, stored, usersPlan, ledger, checkpoints, recentUsers: new RecentSet(RECENT_USERS), unlisted: [], unfound: [] };
}

/** A WARN for each group the listing cannot give, whose channels no state claims; the sync goes on with the rest. */
function listingHandlers(run: Run): ListingHandlers {
  const { writer } = run.input;
  return {
    warn: (message) => writer.log('WARN', message),
    unlisted: (group) => {
      run.unlisted.push(group);
      const createdAt = Instant.parse(group.createdAt);
      if (createdAt !== undefined) run.ledger.holdBefore(createdAt);
      return writer.log('WARN', `At least ${group.atLeast} channels share created_at ${group.createdAt} and no documented filter tells them apart: not listed`);
    },
  };
}

/**
 * The plan's jobs as the listing gives them, each registered with the ledger before it runs; once the
 * listing is done, the plan is announced (ESTIMATE traces, the planning LOG line).
 */
class PlannedJobs implements AsyncIterable<ExportJob> {
  count = 0;
  written = 0;
  done = false;

  constructor(
    private readonly run: Run,
    private readonly plan: SyncPlan,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<ExportJob> {
    for await (const job of this.plan.jobs) {
      this.count += 1;
      this.run.ledger.planned(job.channels);
      this.run.input.writer.exportsWritten?.(this.written, this.count);
      yield job;
    }
    this.done = true;
    await this.announce();
  }

  private async announce(): Promise<void> {
    const { ledger, input } = this.run;
    const { planner } = this.plan;
    if (ledger.has('channels')) await input.writer.estimate('channels', planner.planned);
    if (ledger.has('messages') && planner.messageEstimate !== undefined) await input.writer.estimate('messages', planner.messageEstimate);
    await input.writer.log('INFO', this.plan.description(this.count));
  }
}

/** Every user query users lists for the plan, then the users state. */
async function syncUsers(run: Run, signal: AbortSignal): Promise<void> {
  if (run.usersPlan === undefined) return;
  const skipped = new Skipped();
  await listUsers({ client: run.input.client, plan: run.usersPlan, write: userWriter(run), recent: run.recentUsers, note: skipped.note, signal });
  await skipped.report(run.input.writer, 'Query users');
  run.ledger.listedUsers();
  await run.checkpoints.save({ force: true });
}

/** The planned exports, as many in flight as the pace and the tasks' latency need, each read in turn; the failures, for the end. */
async function syncChannels(run: Run, jobs: PlannedJobs, signal: AbortSignal) {
  const { config, client, writer } = run.input;
  const embeddedUsers = run.usersPlan && new EmbeddedUsers((ids) => client.knownUserIds(ids, signal), userWriter(run), run.recentUsers);
  const sink = recordSink(run.ledger, run.checkpoints, embeddedUsers);
  const context: JobContext = {
    client,
    config,
    until: run.clock.windowEnd,
    batchSize: new BatchSize(config.channels_per_export),
    log: (level, message) => writer.log(level, message),
  };
  return runPipeline(jobs, {
    concurrency: () => Math.min(config.max_concurrent_exports, client.exportFlow.limit()),
    signal,
    prepare: (job, jobSignal) => job.start(context, jobSignal),
    consume: async (job, started, jobSignal) => {
      await writeJob(run, job, started, { sink, embeddedUsers, signal: jobSignal });
      jobs.written += 1;
      const planned = `${jobs.count}${jobs.done ? '' : '+'}`;
      await writer.log('INFO', `Export ${jobs.written}/${planned} written (${job.description}); ${run.checkpoints.total} record(s) so far`);
      writer.exportsWritten?.(jobs.written, jobs.count);
    },
    onFailed: (job) => run.ledger.settle(job.cids, false),
    isFatal: (error) => error instanceof ConfigError,
  });
}

/**
 * One job's files read in turn, then its channels settled and a checkpoint: a channel's instants move
 * only when something of it arrived (a file that leaves one out says nothing of it).
 */
async function writeJob(
  run: Run,
  job: ExportJob,
  { tasks, unfound }: StartedExport,
  parts: { sink: RecordSink; embeddedUsers: EmbeddedUsers | undefined; signal: AbortSignal },
): Promise<void> {
  const { client, writer } = run.input;
  await settleUnfound(run, unfound);
  const exported = job.cids.filter((cid) => !unfound.includes(cid));
  const arrived = new Set<string>();
  // A channel's lines may come in any of the job's files: its list is whole once they all are read.
  const proofs = { members: new MemberLists(), reactions: new ReactionLists(), messages: new MessageLists(job.channels, run.clock.windowEnd) };
  let skippedNone = true;
  let reactionLines = true;
  for (const { taskId, url } of tasks) {
    const read = await readExport(client.download(taskId, url, parts.signal), job.format, parts.sink, proofs);
    for (const cid of read.arrived) arrived.add(cid);
    skippedNone &&= read.skipped.none;
    reactionLines &&= !read.reactionLinesMissing;
    await read.skipped.report(writer, `Task ${taskId}`);
    for (const warning of read.warnings) await writer.log('WARN', `Task ${taskId}: ${warning}`);
  }
  await parts.embeddedUsers?.flush();
  if (skippedNone) tellProofs(writer, proofs, reactionLines);
  const absent = exported.filter((cid) => !arrived.has(cid));
  if (absent.length > 0) {
    await writer.log('WARN', `The export of ${job.description} held nothing of ${absent.join(', ')}: they keep their state and are exported again next time`);
  }
  run.ledger.settle(absent, false);
  run.ledger.settle(
    exported.filter((cid) => arrived.has(cid)),
    true,
  );
  await run.checkpoints.save();
}

/** What a job's files, read whole with no line skipped, prove Stream no longer has; its reactions only when they came as reaction lines. */
function tellProofs(writer: SyncWriter, proofs: ExportProofs, reactionLines: boolean): void {
  const lists = proofs.members.whole();
  if (lists.length > 0) writer.memberLists?.(lists);
  const reactions = proofs.reactions.whole();
  if (reactionLines && reactions.messageIds.length > 0) writer.reactionLists?.(reactions);
  const messages = proofs.messages.whole();
  if (messages.lists.length > 0) writer.messageLists?.(messages);
}

/**
 * Channels Stream cannot find: one channel_ids names lags and fails the sync at its end (the user must
 * fix the config); one that was only listed or lagging is gone from Stream, so it is dropped.
 */
async function settleUnfound(run: Run, unfound: readonly string[]): Promise<void> {
  const configured = unfound.filter((cid) => run.selection.channel_ids.includes(cid));
  const gone = unfound.filter((cid) => !configured.includes(cid));
  run.unfound.push(...configured);
  run.ledger.settle(configured, false);
  if (gone.length === 0) return;
  await run.input.writer.log('WARN', `Stream cannot find channel(s) ${gone.join(', ')} (deleted since listed, or lagging and gone): dropped`);
  run.ledger.settle(gone, true);
}

/** Users, from query users or embedded in records, go out through the ledger (their updated_at counted). */
function userWriter({ ledger, checkpoints }: Run): WriteUser {
  return (data, json) => {
    ledger.admit('users', data);
    return checkpoints.record('users', data, json);
  };
}

async function statuses({ input, names }: Run, status: 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE'): Promise<void> {
  for (const name of names) await input.writer.streamStatus(name, status);
}

/** A heartbeat that cannot write stops the sync like any failure to write. */
function startHeartbeat(checkpoints: Checkpoints): { failed: AbortSignal; stop: () => void } {
  const failed = new AbortController();
  const timer = setInterval(() => {
    checkpoints.heartbeat()?.catch((error: unknown) => failed.abort(error));
  }, HEARTBEAT_CHECK_MS);
  timer.unref();
  return { failed: failed.signal, stop: () => clearInterval(timer) };
}

const none: StoredState = { kind: 'none' };

async function windowEndNow({ client, config, writer, signal }: SyncInput): Promise<Date> {
  const end = windowEnd(await client.streamTime(signal), config.settle_margin_seconds);
  if (end.warning !== undefined) await writer.log('WARN', end.warning);
  return end.at;
}

function clockOf(config: Config, end: Date, mirror: boolean): PlanClock {
  const windowEnd = Instant.fromMillis(end.getTime());
  return {
    windowEnd,
    startDate: config.start_date === undefined ? undefined : Instant.parse(config.start_date),
    lookbackHours: config.lookback_window_hours,
    sweepCutoff: windowEnd.minusHours(config.full_sweep_interval_hours),
    sweepsWholeHistory: mirror,
  };
}
