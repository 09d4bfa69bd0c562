// Placeholder with the final API; replaced by the Stream client implementation (issue 3).
import type { ErrorContext } from '../errors.js';
import { SystemError } from '../errors.js';

export interface StreamClientOptions {
  apiKey: string;
  apiSecret: string;
  /** e.g. https://chat.stream-io-api.com (already validated: https, or http on loopback). */
  baseUrl: string;
  /** Called each time the client waits out a rate limit, before it waits. */
  onRateLimit?: (wait: RateLimitWait) => void;
  /** Diagnostics worth a LOG line: retries, refreshed download URLs, resumed downloads. */
  onLog?: (level: 'INFO' | 'WARN' | 'DEBUG', message: string) => void;
}

export interface RateLimitWait {
  endpoint: string;
  waitMs: number;
  resetAt: Date;
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

export interface Task {
  task_id: string;
  status: string;
  created_at?: string;
  updated_at?: string;
  result?: { url?: string; [key: string]: unknown } | null;
  error?: { type?: string; description?: string } | null;
}

export type CompletedTask = Task & { status: 'completed'; result: { url: string } };

export interface WaitForTaskOptions {
  /** First poll delay; later polls back off to maxPollIntervalMs. */
  pollIntervalMs: number;
  maxPollIntervalMs?: number;
  /** Give up (TransientError naming the task and context) after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called after every poll, e.g. to keep the platform informed. */
  onPoll?: (task: Task) => void;
  /** Carried into errors: the channels or users of the task. */
  context?: ErrorContext;
}

export interface ChannelSummary {
  cid: string;
  type: string;
  id: string;
  created_at: string;
}

export class StreamClient {
  constructor(readonly options: StreamClientOptions) {}

  /** POST /export_channels; at most 25 channels. Returns the task id. */
  async exportChannels(_channels: ChannelExportRequest[], _options: ExportChannelsOptions, _signal?: AbortSignal): Promise<string> {
    throw new SystemError('not implemented');
  }

  /** POST /export/users; at most 25 user ids. Returns the task id. */
  async exportUsers(_userIds: string[], _signal?: AbortSignal): Promise<string> {
    throw new SystemError('not implemented');
  }

  /** GET /tasks/{id}. */
  async getTask(_taskId: string, _signal?: AbortSignal): Promise<Task> {
    throw new SystemError('not implemented');
  }

  /** Polls until completed; a failed task or a timeout throws. */
  async waitForTask(_taskId: string, _options: WaitForTaskOptions): Promise<CompletedTask> {
    throw new SystemError('not implemented');
  }

  /** Every channel of the given types (all types when empty) or exactly the given cids, keyset-paged past offset 1000. */
  async *listChannels(_filter: { types?: string[]; cids?: string[] }, _signal?: AbortSignal): AsyncGenerator<ChannelSummary> {
    throw new SystemError('not implemented');
  }

  /** One cheap authenticated request; throws ConfigError naming the credential to check when auth fails. */
  async checkAuth(_signal?: AbortSignal): Promise<void> {
    throw new SystemError('not implemented');
  }

  /**
   * The export file's bytes, decompressed when gzip, each byte exactly once even when the
   * download is cut off and resumed or the URL expires (fresh URL via getTask(taskId)).
   * Sends no Stream credentials to the download host.
   */
  async *download(_taskId: string, _url: string, _signal?: AbortSignal): AsyncGenerator<Buffer> {
    throw new SystemError('not implemented');
  }

  async close(): Promise<void> {}
}
