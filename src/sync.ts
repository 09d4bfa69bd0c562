import type { Config } from './config.js';
import { ConfigError, TransientError } from './errors.js';
import { describeJob, failedExports, planJobs, type ExportJob } from './export/export-jobs.js';
import { parseExport } from './export/parse-export.js';
import { channelWindow, explicitChannels, verifiableChannels, withoutExcluded } from './export/plan.js';
import { Checkpoints } from './export/checkpoints.js';
import { SyncState, type SyncMode } from './export/sync-state.js';
import { runPipeline } from './export/task-pipeline.js';
import type { MessageWriter } from './protocol/writer.js';
import type { CompletedTask, RateLimitWait } from './stream/client.js';
import { StreamClient } from './stream/client.js';
import { toRecords, type StreamName } from './streams/index.js';

export interface ConfiguredStream {
  name: string;
  syncMode: SyncMode;
}

export interface SyncInput {
  config: Config;
  /** The streams of the configured catalog, in catalog order, names already checked against ours. */
  streams: ConfiguredStream[];
  /** stream name → its stream_state from the state file (absent: no state). */
  state: Map<string, Record<string, unknown>>;
  writer: MessageWriter;
  signal: AbortSignal;
}

/** Distinct skip reasons counted per export; past this, the rest are counted together. */
const MAX_SKIP_REASONS = 50;
const HEARTBEAT_CHECK_MS = 60_000;

/** `read`: plan the exports, run them, write records, states and statuses. */
export async function runSync(input: SyncInput): Promise<void> {
  const { config, writer, signal } = input;
  const selected = new Map(input.streams.map((stream) => [stream.name as StreamName, stream.syncMode]));
  const names = [...selected.keys()];
  const startedAt = new Date().toISOString();
  const state = new SyncState({
    selected,
    input: input.state,
    startDate: config.start_date,
    lookbackHours: config.lookback_window_hours,
    startedAt,
  });
  const checkpoints = new Checkpoints(writer, names, (name, final) => state.stateOf(name, final));
  let running = false;
  const client = new StreamClient({
    apiKey: config.api_key,
    apiSecret: config.api_secret,
    baseUrl: config.base_url,
    onLog: (level, message) => void writer.log(level, message),
    onRateLimit: (wait: RateLimitWait) => {
      void writer.log('WARN', `Rate limited by Stream on ${wait.endpoint}: waiting ${Math.ceil(wait.waitMs / 1000)} s, until ${wait.resetAt.toISOString()}`);
      if (running) for (const name of names) void writer.streamStatus(name, 'RUNNING', wait.resetAt);
    },
  });
  const heartbeat = setInterval(() => checkpoints.heartbeat(), HEARTBEAT_CHECK_MS);
  heartbeat.unref();

  try {
    for (const name of names) await writer.streamStatus(name, 'STARTED');
    const cids = await resolveChannels(client, config, signal);
    state.retainChannels(cids);
    for (const name of names) await writer.streamStatus(name, 'RUNNING');
    running = true;
    if (selected.has('channels')) await writer.estimate('channels', cids.length);

    const listed = explicitChannels(config) === undefined;
    const jobs = planJobs(cids, config.channels_per_export, config.user_ids);
    await writer.log('INFO', `Planned ${jobs.length} export(s): ${cids.length} channel(s) in batches of ${config.channels_per_export}, ${config.user_ids.length} user(s); messages until ${startedAt}`);

    let done = 0;

    const prepare = async (job: ExportJob, jobSignal: AbortSignal): Promise<CompletedTask> => {
      const context = job.kind === 'channels' ? { cids: job.cids } : { userIds: job.userIds };
      const taskId =
        job.kind === 'channels'
          ? await client
              .exportChannels(
                job.cids.map((cid) => channelWindow(cid, state.windowStart(cid), startedAt)),
                {
                  version: config.export_format,
                  include_truncated_messages: config.include_truncated_messages,
                  include_soft_deleted_channels: config.include_soft_deleted_channels,
                },
                jobSignal,
              )
              .catch((error: unknown) => {
                throw listed ? deletedSinceListed(error) : error;
              })
          : await client.exportUsers(job.userIds, jobSignal);
      await writer.log('INFO', `Export task ${taskId} created for ${describeJob(job)}`);
      return client.waitForTask(taskId, {
        pollIntervalMs: config.poll_interval_seconds * 1000,
        timeoutMs: config.export_timeout_minutes * 60_000,
        signal: jobSignal,
        context: { ...context, taskId },
      });
    };

    const consume = async (job: ExportJob, task: CompletedTask, jobSignal: AbortSignal): Promise<void> => {
      const format = job.kind === 'users' ? 'v2' : config.export_format;
      const skipped = new Map<string, number>();
      const note = (reason: string) => {
        const key = skipped.has(reason) || skipped.size < MAX_SKIP_REASONS ? reason : 'other reasons';
        skipped.set(key, (skipped.get(key) ?? 0) + 1);
      };
      // v2 reactions come from reaction lines; Stream's v2 line format is undocumented, so say so
      // loudly if a file has reactions only inside messages.
      let reactionLines = 0;
      let messagesWithReactions = 0;
      const bytes = client.download(task.task_id, task.result.url, jobSignal);
      for await (const entity of parseExport(bytes, format, note)) {
        if (entity.kind === 'reaction') reactionLines += 1;
        else if (entity.kind === 'message' && !entity.reactionsInline && Array.isArray(entity.data.latest_reactions) && entity.data.latest_reactions.length > 0) {
          messagesWithReactions += 1;
        }
        // An entity's own record comes first, then the users embedded in it.
        let entityIsNew = false;
        for (const record of toRecords(entity, note)) {
          // User exports give the users' full records; their messages and reactions come with the
          // channel exports, windowed by cursors (here they would repeat every sync and reach
          // channels outside the selection).
          if (job.kind === 'users' && record.stream !== 'users') continue;
          // The users named in user_ids go out whatever their profile's age, as embedded users of new records do.
          const admitted = state.admit(record.stream, record.data, entityIsNew || job.kind === 'users');
          if (record.stream !== 'users') entityIsNew ||= admitted;
          if (!admitted || !selected.has(record.stream)) continue;
          const wait = checkpoints.record(record.stream, record.data);
          if (wait) await wait;
        }
      }
      for (const [reason, count] of skipped) await writer.log('WARN', `Task ${task.task_id}: ${count} × ${reason}`);
      if (selected.has('reactions') && job.kind === 'channels' && reactionLines === 0 && messagesWithReactions > 0) {
        await writer.log(
          'WARN',
          `Task ${task.task_id}: ${messagesWithReactions} message(s) have latest_reactions but the export has no reaction lines, so their reactions were not written; export_format v1 takes reactions from latest_reactions`,
        );
      }
      if (job.kind === 'channels') state.completeChannels(job.cids);
      await checkpoints.save();
      done += 1;
      await writer.log('INFO', `Export ${done}/${jobs.length} written (${describeJob(job)}); ${checkpoints.total} record(s) so far`);
    };

    const failures = await runPipeline(jobs, {
      concurrency: config.max_concurrent_exports,
      signal,
      prepare,
      consume,
      isFatal: (error) => error instanceof ConfigError,
    });

    await checkpoints.save({ final: failures.length === 0, force: true });
    if (failures.length > 0) throw failedExports(failures, jobs.length);
    for (const name of names) await writer.streamStatus(name, 'COMPLETE');
  } catch (error) {
    if (!signal.aborted) {
      // The batches written before a fatal error keep their states (a signal's interrupt drops them).
      await checkpoints.save({ force: true });
      for (const name of names) await writer.streamStatus(name, 'INCOMPLETE');
    }
    throw error;
  } finally {
    clearInterval(heartbeat);
    await client.close();
  }
}

async function resolveChannels(client: StreamClient, config: Config, signal: AbortSignal): Promise<string[]> {
  const explicit = explicitChannels(config);
  if (explicit) {
    const missing = await client.missingChannels(verifiableChannels(config), signal);
    if (missing.length > 0) {
      throw new ConfigError(`Stream has no channel ${missing.join(', ')}: check channel_ids in the config`, { context: { cids: missing } });
    }
    return explicit;
  }
  const listed: string[] = [];
  for await (const channel of client.listChannels({ types: config.channel_types }, signal)) listed.push(channel.cid);
  return withoutExcluded(listed, config);
}

/**
 * A listed channel that Stream no longer finds was deleted since the listing: that batch fails,
 * not the whole sync as a config error, and the next sync will not list it.
 */
function deletedSinceListed(error: unknown): unknown {
  if (!(error instanceof ConfigError) || error.context.channelNotFound !== true) return error;
  return new TransientError(`A channel was deleted after it was listed: ${error.message}`, { cause: error, context: error.context });
}
