import type { Config } from '../config.js';
import { BatchTooLargeError, ChannelNotFoundError } from '../errors.js';
import { Instant } from '../utils/instant.js';
import type { PlannedChannel } from '../plan/plan.js';
import { parseCid } from '../plan/selection.js';
import type { LogLevel } from '../protocol/message-types.js';
import type { ChannelExportRequest, CompletedTask, StreamApiClient } from '../stream-api/client.js';
import { MAX_EXPORT_ITEMS } from '../stream-api/client.js';

/** What runSync needs of the Stream client: a fake one tests the orchestration without HTTP. */
export type SyncClient = Pick<
  StreamApiClient,
  'streamTime' | 'listChannels' | 'listUsers' | 'knownUserIds' | 'exportChannels' | 'waitForTask' | 'download' | 'exportFlow'
>;

export interface JobContext {
  client: SyncClient;
  config: Config;
  /** The end of every export window. */
  until: Instant;
  batchSize: BatchSize;
  log: (level: LogLevel, message: string) => unknown;
}

/** A completed task, as it waits for its file to be read: its id and URL only (a fresh URL comes from the id). */
export interface ExportFile {
  taskId: string;
  url: string;
}

/** What an export job's start gives: its completed tasks, and the channels Stream could not find. */
export interface StartedExport {
  tasks: ExportFile[];
  /** Left out of every task: Stream answered "Can't find channel" for each one alone. */
  unfound: string[];
}

/** One export to run: create its task(s), wait for them, then its files are read in turn. */
export interface ExportJob {
  readonly number: number;
  readonly description: string;
  /** The channels it exports. */
  readonly cids: readonly string[];
  /** The same, as planned. */
  readonly channels: readonly PlannedChannel[];
  readonly format: 'v1' | 'v2';
  start(context: JobContext, signal: AbortSignal): Promise<StartedExport>;
}

/**
 * The channels per export request for the rest of the sync: Stream's OpenAPI allows 100, its guides
 * say 25; a refusal for size shrinks it once to 25, then by halves.
 */
export class BatchSize {
  private warned = false;

  constructor(public current: number) {}

  /** WARN the first time, INFO after: one odd limit is worth one warning per sync. */
  level(): LogLevel {
    const level = this.warned ? 'INFO' : 'WARN';
    this.warned = true;
    return level;
  }

  shrink(refused: number): boolean {
    if (refused <= 1) return false;
    this.current = Math.min(this.current, refused > MAX_EXPORT_ITEMS ? MAX_EXPORT_ITEMS : Math.ceil(refused / 2));
    return true;
  }
}

export class ChannelBatchJob implements ExportJob {
  readonly cids: readonly string[];
  readonly description: string;

  constructor(
    readonly number: number,
    readonly channels: readonly PlannedChannel[],
    readonly format: 'v1' | 'v2',
  ) {
    this.cids = channels.map((channel) => channel.cid);
    const shown = this.cids.length <= 5 ? this.cids.join(', ') : `${this.cids.slice(0, 5).join(', ')}, … ${this.cids.length} in all`;
    this.description = `channel batch ${number} (${shown})`;
  }

  async start(context: JobContext, signal: AbortSignal): Promise<StartedExport> {
    const unfound: string[] = [];
    const taskIds = await this.createTasks(context, this.channels, unfound, signal);
    const tasks = await Promise.all(taskIds.map((taskId) => waitFor(context, taskId, { cids: [...this.cids] }, signal)));
    return { tasks: tasks.map((task) => ({ taskId: task.task_id, url: task.result.url })), unfound };
  }

  /** Export tasks for `channels`, as many as the batch size needs; the channels Stream cannot find go to `unfound`. */
  private async createTasks(context: JobContext, channels: readonly PlannedChannel[], unfound: string[], signal: AbortSignal): Promise<string[]> {
    const taskIds: string[] = [];
    let pending = [...channels];
    while (pending.length > 0) {
      const size = context.batchSize.current;
      const batch = pending.slice(0, size);
      try {
        taskIds.push(await this.create(context, batch, signal));
      } catch (error) {
        if (error instanceof ChannelNotFoundError) {
          taskIds.push(...(await this.withoutUnfound(context, batch, unfound, signal)));
        } else if (error instanceof BatchTooLargeError && context.batchSize.shrink(batch.length)) {
          if (context.batchSize.current < size) {
            context.log(
              context.batchSize.level(),
              `Stream refused ${batch.length} channels in one export; ${context.batchSize.current} per export from now on in this sync (${error.message})`,
            );
          }
          continue;
        } else {
          throw error;
        }
      }
      pending = pending.slice(batch.length);
    }
    return taskIds;
  }

  /**
   * A batch Stream refused for a channel it cannot find, split in halves until that channel stands
   * alone: one channel a typo or a hard delete took away must not keep the others from being exported.
   */
  private async withoutUnfound(context: JobContext, batch: readonly PlannedChannel[], unfound: string[], signal: AbortSignal): Promise<string[]> {
    if (batch.length === 1) {
      unfound.push((batch[0] as PlannedChannel).cid);
      return [];
    }
    const half = Math.ceil(batch.length / 2);
    const first = await this.createTasks(context, batch.slice(0, half), unfound, signal);
    return [...first, ...(await this.createTasks(context, batch.slice(half), unfound, signal))];
  }

  private async create(context: JobContext, batch: readonly PlannedChannel[], signal: AbortSignal): Promise<string> {
    const { config, client, until } = context;
    const requests = batch.map(({ cid, since }): ChannelExportRequest => {
      const request: ChannelExportRequest = { ...parseCid(cid), messages_until: until.toString() };
      // Since means after and until before, and nothing says Stream accepts an empty window: one that
      // would start at or after its end (a cursor from the future) is its last millisecond, whose
      // messages admission drops when the state covers them.
      if (since !== undefined) request.messages_since = Instant.earlier(since, until.justBefore()).toString();
      return request;
    });
    const taskId = await client.exportChannels(
      requests,
      {
        version: config.export_format,
        include_truncated_messages: config.include_truncated_messages,
        include_soft_deleted_channels: config.include_soft_deleted_channels,
      },
      signal,
    );
    context.log('INFO', `Export task ${taskId} created for ${this.description}${batch.length < this.cids.length ? ` (${batch.length} of its channels)` : ''}`);
    return taskId;
  }
}

/** The channel batches, in the listing's order, cut as the planned channels come. */
export async function* planJobs(channels: AsyncIterable<PlannedChannel>, config: Config): AsyncGenerator<ExportJob> {
  let batch: PlannedChannel[] = [];
  let number = 0;
  for await (const channel of channels) {
    batch.push(channel);
    if (batch.length < config.channels_per_export) continue;
    number += 1;
    yield new ChannelBatchJob(number, batch, config.export_format);
    batch = [];
  }
  if (batch.length > 0) yield new ChannelBatchJob(number + 1, batch, config.export_format);
}

function waitFor(context: JobContext, taskId: string, errorContext: Record<string, unknown>, signal: AbortSignal): Promise<CompletedTask> {
  return context.client.waitForTask(taskId, {
    pollIntervalMs: context.config.poll_interval_seconds * 1000,
    timeoutMs: context.config.export_timeout_minutes * 60_000,
    signal,
    context: { ...errorContext, taskId },
  });
}
