import { Agent } from 'undici';
import { z } from 'zod';
import type { ErrorContext } from '../errors.js';
import { SystemError, TooManyTasksError } from '../errors.js';
import type { Log, OnRateLimit, Timeouts } from './api-transport.js';
import { ApiTransport, defaultTimeouts } from './api-transport.js';
import type { ChannelFilter, ChannelSummary, QueryChannelsBody } from './channels.js';
import { channelListing, queryChannelsResponseSchema } from './channels.js';
import { queryBody } from './channel-partitions.js';
import type { DownloadLimits } from './download.js';
import { defaultDownloadLimits, downloadExport } from './download.js';
import type { RetryPolicy } from './retry-policy.js';
import { defaultRetryPolicy } from './retry-policy.js';
import { ExportFlow } from './export-flow.js';
import { ExportPacer } from './export-pacer.js';
import { BudgetGate, type BudgetReading, type BudgetWait } from './api-budget.js';
import { EndpointSpacing } from './endpoint-spacing.js';
import { firstListValue } from './rate-limit-headers.js';
import { decide, errorOf } from './retry-decision.js';
import type { CompletedTask, Task } from './task.js';
import { createdTaskSchema, downloadUrlOf, taskSchema } from './task.js';
import type { WaitForTaskOptions } from './task-poller.js';
import { pollTask } from './task-poller.js';
import type { StreamTime } from './stream-time.js';
import type { QueriedUser, QueryUsersPayload, UsersWindow } from './users.js';
import { knownUserIds, listUsers, queryUsersResponseSchema } from './users.js';
import { streamTimeOf } from './stream-time.js';

export type { ChannelFilter, ChannelSummary } from './channels.js';
export type { DownloadLimits } from './download.js';
export type { Log, RateLimitWait, Timeouts } from './api-transport.js';
export type { RetryPolicy } from './retry-policy.js';
export type { CompletedTask, Task } from './task.js';
export type { StreamTime } from './stream-time.js';
export type { UsersWindow } from './users.js';
export type { WaitForTaskOptions } from './task-poller.js';

export interface StreamApiClientOptions {
  apiKey: string;
  apiSecret: string;
  /** e.g. https://chat.stream-io-api.com (already validated: https, or http on loopback). */
  baseUrl: string;
  /** Called each time the client waits out a rate limit, before it waits. */
  onRateLimit?: OnRateLimit;
  /** Diagnostics worth a LOG line: retries, refreshed download URLs, resumed downloads. */
  onLog?: Log;
  /** Overrides of defaultRetryPolicy (5 retries of GET and POST, 0.5 s doubling to 30 s, 50 % jitter, rate-limit waits ≤ 90 s). */
  retry?: Partial<RetryPolicy>;
  /** Overrides of defaultTimeouts (connect 10 s, headers 60 s, body 60 s). */
  timeouts?: Partial<Timeouts>;
  /** Overrides of defaultDownloadLimits (5 attempts in a row without progress, 3 fresh URLs). */
  download?: Partial<DownloadLimits>;
  /** Export requests (channels and users) created in any one minute; default 30, half of Stream's quota per app. */
  exportsPerMinute?: number;
  /** The share of the app's API budget query channels keeps the app's use under (BudgetGate); default 0.5. */
  apiBudgetShare?: number;
  /** The share of query users' per-minute limit this client uses; default 0.5. */
  queryUsersShare?: number;
}

export interface ChannelRef {
  type: string;
  id: string;
}

export interface ChannelExportRequest extends ChannelRef {
  messages_since?: string;
  messages_until?: string;
}

export interface ExportChannelsOptions {
  version: 'v1' | 'v2';
  include_truncated_messages: boolean;
  include_soft_deleted_channels: boolean;
}

/** Stream's documented maximum of users in one export request (and of channels in its prose docs). */
export const MAX_EXPORT_ITEMS = 25;
/** The maximum of channels in one export request in Stream's published OpenAPI specification. */
export const MAX_CHANNELS_PER_EXPORT = 100;
/** Query channels' waits for the API budget are logged at most this often. */
const BUDGET_LOG_EVERY_MS = 30_000;
const EXPORT_ENDPOINTS = new Set(['ExportChannels', 'ExportUsers']);

function checkBatch(what: string, count: number, max: number): void {
  if (count < 1 || count > max) {
    throw new SystemError(`An export request needs 1 to ${max} ${what}, got ${count}`);
  }
}

export class StreamApiClient {
  private readonly policy: RetryPolicy;
  private readonly api: ApiTransport;
  private readonly downloads: Agent;
  private readonly downloadLimits: DownloadLimits;
  private readonly pacer: ExportPacer;
  private readonly budget: BudgetGate;
  private warnedTrickle = false;
  private budgetLoggedAt = 0;
  /** The export tasks in flight and their latency: how many the pace needs, when to poll them. */
  readonly exportFlow: ExportFlow;
  private refusalWarning: string | undefined;

  constructor(readonly options: StreamApiClientOptions) {
    this.pacer = new ExportPacer(options.exportsPerMinute ?? 30);
    this.budget = new BudgetGate(options.apiBudgetShare ?? 0.5);
    this.exportFlow = new ExportFlow({ perMinute: options.exportsPerMinute ?? 30 });
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    const timeouts = { ...defaultTimeouts, ...options.timeouts };
    this.api = new ApiTransport({
      apiKey: options.apiKey,
      apiSecret: options.apiSecret,
      baseUrl: options.baseUrl,
      policy: this.policy,
      timeouts,
      onRateLimit: options.onRateLimit,
      onHeaders: (endpoint, headers, status) => {
        if (EXPORT_ENDPOINTS.has(endpoint)) this.pacer.observe(headers);
        if (endpoint === 'QueryChannels') this.budget.observe(headers);
        // A 429 while the quota has room is not the quota's: taken for a limit on tasks in flight.
        const remaining = firstListValue(headers['x-ratelimit-remaining']);
        if (endpoint === 'ExportChannels' && status === 429 && Number(remaining) > 0) this.exportsRefused(`HTTP 429 with X-RateLimit-Remaining ${remaining}`);
      },
      onLog: options.onLog,
      spacing: new EndpointSpacing({ QueryUsers: options.queryUsersShare ?? 0.5 }),
    });
    // A separate dispatcher for the pre-signed download hosts: nothing of the API's auth can leak onto it.
    this.downloads = new Agent({
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
    });
    this.downloadLimits = { ...defaultDownloadLimits, ...options.download };
  }

  /**
   * POST /export_channels; at most 100 channels (Stream may accept fewer: BatchTooLargeError). Returns the
   * task id. Refused for the tasks in flight, it keeps fewer in flight and asks again once one of them is
   * done (none in flight: the refusal stands).
   */
  async exportChannels(channels: ChannelExportRequest[], options: ExportChannelsOptions, signal?: AbortSignal): Promise<string> {
    checkBatch('channels', channels.length, MAX_CHANNELS_PER_EXPORT);
    for (;;) {
      try {
        const taskId = await this.createExport(channels, options, signal);
        this.exportFlow.taskCreated(taskId);
        return taskId;
      } catch (error) {
        if (!(error instanceof TooManyTasksError) || this.exportFlow.tasksInFlight === 0) throw error;
        this.exportsRefused(error.message);
        await this.exportFlow.taskDone(signal);
      } finally {
        const warning = this.refusalWarning;
        this.refusalWarning = undefined;
        if (warning !== undefined) await this.options.onLog?.('WARN', warning);
      }
    }
  }

  /** Fewer export tasks in flight from now on; the first time, a WARN once the request is over. */
  private exportsRefused(reason: string): void {
    const inFlight = this.exportFlow.tasksInFlight;
    if (!this.exportFlow.refused()) return;
    this.refusalWarning = `Stream refused an export while the export quota had room (${reason}) with ${inFlight} export task(s) in flight: taken for a limit on tasks in flight, at most ${Math.max(1, inFlight)} export(s) in flight from now on in this sync`;
  }

  private async createExport(channels: ChannelExportRequest[], options: ExportChannelsOptions, signal?: AbortSignal): Promise<string> {
    await this.pacer.acquire(signal);
    const context = { cids: channels.map((channel) => `${channel.type}:${channel.id}`) };
    const created = await this.api.call(
      {
        method: 'POST',
        path: '/export_channels',
        endpoint: 'ExportChannels',
        body: {
          channels: channels.map(({ type, id, messages_since, messages_until }) => ({ type, id, messages_since, messages_until })),
          version: options.version,
          include_truncated_messages: options.include_truncated_messages,
          include_soft_deleted_channels: options.include_soft_deleted_channels,
        },
        context,
        signal,
      },
      createdTaskSchema,
    );
    return created.task_id;
  }

  /** GET /tasks/{id}. */
  async getTask(taskId: string, signal?: AbortSignal, context?: ErrorContext): Promise<Task> {
    return this.api.call(
      { method: 'GET', path: `/tasks/${encodeURIComponent(taskId)}`, endpoint: 'GetTask', context: { ...context, taskId }, signal },
      taskSchema,
    );
  }

  /** Polls until completed, first when earlier tasks took to complete; a failed task or a timeout throws. */
  async waitForTask(taskId: string, options: WaitForTaskOptions): Promise<CompletedTask> {
    const flow = this.exportFlow;
    const polled = { expectedLatencyMs: () => flow.expectedLatencyMs(), ...options };
    try {
      const task = await pollTask(taskId, (signal) => this.getTask(taskId, signal, options.context), polled, this.options.onLog);
      flow.taskCompleted(task);
      return task;
    } catch (error) {
      flow.taskEnded(taskId);
      throw error;
    }
  }

  /**
   * Every channel of the given types (all types when empty) or exactly the given cids, in ascending
   * `created_at`, by keyset ranges of documented instants (channelListing). Unknown cids are skipped,
   * logged and passed to `filter.onMissing`.
   */
  async *listChannels(filter: ChannelFilter, signal?: AbortSignal): AsyncGenerator<ChannelSummary> {
    const sources = {
      query: (body: QueryChannelsBody, pageSignal?: AbortSignal) => this.queryChannels(body, pageSignal),
      userIds: (after: string | undefined, idsSignal?: AbortSignal) => this.userIds(after, idsSignal),
      log: this.options.onLog,
    };
    yield* channelListing(sources, filter, signal);
  }

  /** Every user id of the app (after `after` in Stream's order, when given), a page at a time. */
  private async *userIds(after: string | undefined, signal?: AbortSignal): AsyncGenerator<string[]> {
    const users = listUsers((payload, pageSignal) => this.queryUsers(payload, pageSignal), {}, signal, after);
    for await (const page of users) yield page.map((user) => user.id);
  }

  /** GET /users: every user updated in the window, a page at a time in id order. */
  async *listUsers(window: UsersWindow, signal?: AbortSignal): AsyncGenerator<QueriedUser[]> {
    yield* listUsers((payload, pageSignal) => this.queryUsers(payload, pageSignal), window, signal);
  }

  /** Which of these ids (at most 100) Stream's query users knows: a deleted user is not among them. */
  async knownUserIds(ids: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
    return knownUserIds((payload, pageSignal) => this.queryUsers(payload, pageSignal), ids, signal);
  }

  /** The cids among `cids` that Stream does not know, in the order given. */
  async missingChannels(cids: string[], signal?: AbortSignal): Promise<string[]> {
    if (cids.length === 0) return [];
    let missing: string[] = [];
    for await (const _channel of this.listChannels({ cids, onMissing: (unknown) => (missing = unknown) }, signal));
    const unknown = new Set(missing);
    return cids.filter((cid) => unknown.has(cid));
  }

  /**
   * Stream's clock now, from the `Date` header of its cheapest answer (GET /rate_limits, which no
   * query budget counts).
   */
  async streamTime(signal?: AbortSignal): Promise<StreamTime> {
    const { headers, receivedAt } = await this.api.exchange(
      { method: 'GET', path: '/rate_limits', endpoint: 'GetRateLimits', query: { server_side: 'true', endpoints: 'ExportChannels' }, signal },
      z.looseObject({}),
    );
    return streamTimeOf(headers, receivedAt);
  }

  /** One cheap authenticated request; throws ConfigError naming the credential to check when auth fails. */
  async checkAuth(signal?: AbortSignal): Promise<void> {
    await this.queryChannels(queryBody({}, 'created_at', 0, 1), signal);
  }

  /**
   * The export file's bytes, decompressed when gzip, each byte exactly once even when the
   * download is cut off and resumed or the URL expires (fresh URL via getTask(taskId)).
   * Sends no Stream credentials to the download host.
   */
  async *download(taskId: string, url: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    yield* downloadExport({
      taskId,
      url,
      signal,
      dispatcher: this.downloads,
      freshUrl: (refreshSignal) => this.freshUrl(taskId, refreshSignal),
      policy: this.policy,
      limits: this.downloadLimits,
      log: this.options.onLog,
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.api.close(), this.downloads.close()]);
  }

  private async queryChannels(body: QueryChannelsBody, signal?: AbortSignal): Promise<ChannelSummary[]> {
    await this.budget.pass((wait, reading) => this.budgetWait(wait, reading), signal);
    const response = await this.api.call({ method: 'POST', path: '/channels', endpoint: 'QueryChannels', body, signal }, queryChannelsResponseSchema);
    return response.channels.map(({ channel }) => {
      const summary: ChannelSummary = { cid: channel.cid, type: channel.type, id: channel.id, created_at: channel.created_at };
      if (typeof channel.updated_at === 'string') summary.updated_at = channel.updated_at;
      if (typeof channel.last_message_at === 'string') summary.last_message_at = channel.last_message_at;
      if (typeof channel.member_count === 'number') summary.member_count = channel.member_count;
      if (typeof channel.message_count === 'number') summary.message_count = channel.message_count;
      return summary;
    });
  }

  /** Says why query channels waits: a LOG line for its own queries, one WARN when the app's own users hold the budget. */
  private async budgetWait(wait: BudgetWait, { usedMs, limitMs }: BudgetReading): Promise<void> {
    const use = `the app's API budget use is ${usedMs} of ${limitMs} ms a minute, above the ${this.options.apiBudgetShare ?? 0.5} share this sync keeps to`;
    if (wait.why === 'theirs') {
      if (!this.warnedTrickle) await this.options.onLog?.('WARN', `Query channels goes on at one query a second: ${use}, held there by the app's own users`);
      this.warnedTrickle = true;
      return;
    }
    // One line a stretch of waiting, not one a query.
    const now = Date.now();
    if (now - this.budgetLoggedAt < BUDGET_LOG_EVERY_MS) return;
    this.budgetLoggedAt = now;
    const why = wait.why === 'ours' ? "until this sync's own queries leave the minute" : 'since the app has less than a tenth of its budget left';
    await this.options.onLog?.('INFO', `Query channels waits ${Math.ceil(wait.waitMs / 1000)} s ${why}: ${use}`);
  }

  private async queryUsers(payload: QueryUsersPayload, signal?: AbortSignal): Promise<QueriedUser[]> {
    const query = { payload: JSON.stringify(payload) };
    const response = await this.api.call({ method: 'GET', path: '/users', endpoint: 'QueryUsers', query, signal }, queryUsersResponseSchema);
    return response.users;
  }

  private async freshUrl(taskId: string, signal?: AbortSignal): Promise<string> {
    const task = await this.getTask(taskId, signal);
    const url = downloadUrlOf(task);
    if (url === undefined) {
      const words = `Task ${taskId} has no download URL any more (status ${task.status})`;
      throw errorOf(decide({ request: 'api', kind: 'unusable' }), words, { context: { taskId }, cause: task });
    }
    return url;
  }
}
