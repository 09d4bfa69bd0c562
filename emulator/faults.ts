import type { AddChannelOptions, DataSet } from './data-set.js';

// Fault switches. Each counted fault fires on the next matching requests and counts down, so a client
// that retries eventually succeeds.

export interface RateLimitFault {
  count: number;
  /** X-RateLimit-Reset is now + this (default 1). */
  resetInSeconds?: number;
  /** Endpoint names (e.g. 'ExportChannels', 'GetTask'); default every API endpoint. */
  endpoints?: string[];
  /** 'json' (default): Stream's error body, code 9; 'text': a plain-text body, as Stream's edge sends for IP limits. */
  body?: 'text' | 'json';
  /** Adds a `Retry-After` header with these seconds (default: none). */
  retryAfterSeconds?: number;
}

export interface ServerErrorFault {
  count: number;
  /** 500 (default) answers Stream's JSON error with code -1; 502/503/504 answer a plain-text gateway page. */
  status?: number;
  endpoints?: string[];
}

export interface CutDownloadFault {
  /** Bytes of the body sent before the connection is destroyed. */
  afterBytes: number;
  count?: number;
}

export interface UnframedDownloadFault {
  /** The body ends (the connection closes) at the first line break after this many bytes; no length, no chunks. */
  afterBytes: number;
  count?: number;
}

export interface UnknownTaskStatusFault {
  count: number;
  /** The status reported forever instead of the task's own (default 'queued', which Stream does not document). */
  status?: string;
}

export interface ChunkedDownloadsFault {
  count: number;
  /** Answer a Range request 200 with the whole file, as a host that ignores Range does (default false). */
  ignoreRange?: boolean;
}

export interface DeleteChannelAfterQueriesFault {
  cid: string;
  /** Query-channels requests answered before the channel is hard-deleted; 0 deletes it at once. */
  after: number;
}

export interface CreateChannelAfterQueriesFault extends Omit<AddChannelOptions, 'type' | 'id'> {
  /** `type:id` of the new channel; default as `data.addChannel` (the first type, id `added-<index>`). */
  cid?: string;
  /** Query-channels requests answered before the channel is created; 0 creates it at once. */
  after: number;
}

export type FaultName =
  | 'rateLimit'
  | 'serverErrors'
  | 'cutDownload'
  | 'expireUrls'
  | 'failTasks'
  | 'unframedDownload'
  | 'emptyExports'
  | 'dropChannel'
  | 'unknownTaskStatus'
  | 'truncateLastLine'
  | 'chunkedDownloads'
  | 'deleteChannelAfterQueries'
  | 'createChannelAfterQueries';

interface ChannelChange {
  remaining: number;
  name: FaultName;
  apply: () => void;
}

interface Armed<T> {
  remaining: number;
  options: T;
}

function arm<T extends { count?: number }>(options: T): Armed<T> | undefined {
  const remaining = options.count ?? 1;
  return remaining > 0 ? { remaining, options } : undefined;
}

function matches(endpoints: string[] | undefined, endpoint: string): boolean {
  return endpoints === undefined || endpoints.includes(endpoint);
}

export class Faults {
  private rateLimitFault?: Armed<RateLimitFault>;
  private serverErrorFault?: Armed<ServerErrorFault>;
  private cutDownloadFault?: Armed<CutDownloadFault>;
  private expireUrlsFault?: Armed<{ count: number }>;
  private failTasksFault?: Armed<{ count: number }>;
  private unframedDownloadFault?: Armed<UnframedDownloadFault>;
  private emptyExportsFault?: Armed<{ count: number }>;
  private dropChannelFault?: Armed<{ count: number }>;
  private unknownTaskStatusFault?: Armed<UnknownTaskStatusFault>;
  private truncateLastLineFault?: Armed<{ count?: number }>;
  private chunkedDownloadsFault?: Armed<ChunkedDownloadsFault>;
  private extraTaskLatencyMs = 0;
  private channelChanges: ChannelChange[] = [];
  /** How many times each fault has fired since the emulator started. */
  readonly fired: Record<FaultName, number> = {
    rateLimit: 0,
    serverErrors: 0,
    cutDownload: 0,
    expireUrls: 0,
    failTasks: 0,
    unframedDownload: 0,
    emptyExports: 0,
    dropChannel: 0,
    unknownTaskStatus: 0,
    truncateLastLine: 0,
    chunkedDownloads: 0,
    deleteChannelAfterQueries: 0,
    createChannelAfterQueries: 0,
  };

  /** The data set the channel faults change. */
  constructor(private readonly data: DataSet) {}

  rateLimit(options: RateLimitFault): void {
    this.rateLimitFault = arm(options);
  }

  serverErrors(options: ServerErrorFault): void {
    this.serverErrorFault = arm(options);
  }

  cutDownload(options: CutDownloadFault): void {
    this.cutDownloadFault = arm(options);
  }

  /** The next `count` downloads answer 403 as if their URL had expired. */
  expireUrls(options: { count: number }): void {
    this.expireUrlsFault = arm(options);
  }

  /** The next `count` export tasks end `failed`. */
  failTasks(options: { count: number }): void {
    this.failTasksFault = arm(options);
  }

  /** The next downloads send no Content-Length nor chunks and close at a line break: a cut that looks complete. */
  unframedDownload(options: UnframedDownloadFault): void {
    this.unframedDownloadFault = arm(options);
  }

  /** The next `count` channel export files are empty (0 bytes). */
  emptyExports(options: { count: number }): void {
    this.emptyExportsFault = arm(options);
  }

  /** The next `count` channel export files leave out the first channel requested, all its lines. */
  dropChannel(options: { count: number }): void {
    this.dropChannelFault = arm(options);
  }

  /** The next `count` export tasks (channels or users) report `status` at every poll, forever: they never complete. */
  unknownTaskStatus(options: UnknownTaskStatusFault): void {
    this.unknownTaskStatusFault = arm(options);
  }

  /**
   * The next `count` channel export files lose their final line break and the second half of their last
   * line: the file (and its Content-Length, and any Range) is that of a file cut mid-JSON.
   */
  truncateLastLine(options: { count?: number } = {}): void {
    this.truncateLastLineFault = arm(options);
  }

  /** The next `count` downloads (GET) come with Transfer-Encoding: chunked and no Content-Length; the body is complete. */
  chunkedDownloads(options: ChunkedDownloadsFault): void {
    this.chunkedDownloadsFault = arm(options);
  }

  /**
   * Hard-deletes a channel between two pages of query channels: once `after` more query-channels
   * requests have been answered. Offset paging then skips the channel that moves into the gap.
   */
  deleteChannelAfterQueries(options: DeleteChannelAfterQueriesFault): void {
    const { cid } = options;
    if (!this.data.channelModel(cid)) throw new Error(`emulator faults: no channel "${cid}"`);
    this.schedule(options.after, 'deleteChannelAfterQueries', () => this.data.deleteChannel(cid));
  }

  /** Creates a channel (no messages) between two pages of query channels: once `after` more requests have been answered. */
  createChannelAfterQueries(options: CreateChannelAfterQueriesFault): void {
    const { cid, after, ...rest } = options;
    const [type, id] = cid === undefined ? [] : cid.split(/:(.*)/s);
    if (cid !== undefined && (!type || !id)) throw new Error(`emulator faults: "${cid}" is not a cid (type:id)`);
    if (cid !== undefined && this.data.channelModel(cid)) throw new Error(`emulator faults: channel "${cid}" already exists`);
    this.schedule(after, 'createChannelAfterQueries', () => this.data.addChannel({ ...rest, type, id }));
  }

  private schedule(after: number, name: FaultName, apply: () => void): void {
    if (!Number.isInteger(after) || after < 0) throw new Error(`emulator faults: after must be an integer >= 0, got ${after}`);
    this.channelChanges.push({ remaining: after, name, apply });
    this.queryChannelsAnswered(0);
  }

  /** Called after each query-channels request: applies the channel changes now due, in the order armed. */
  queryChannelsAnswered(count = 1): void {
    const due: ChannelChange[] = [];
    this.channelChanges = this.channelChanges.filter((change) => {
      change.remaining -= count;
      if (change.remaining > 0) return true;
      due.push(change);
      return false;
    });
    for (const change of due) {
      this.fired[change.name]++;
      change.apply();
    }
  }

  /** Tasks created from now on take this much longer to complete (0 switches it off). */
  slowTasks(ms: number): void {
    this.extraTaskLatencyMs = Math.max(0, ms);
  }

  reset(): void {
    this.rateLimitFault = undefined;
    this.serverErrorFault = undefined;
    this.cutDownloadFault = undefined;
    this.expireUrlsFault = undefined;
    this.failTasksFault = undefined;
    this.unframedDownloadFault = undefined;
    this.emptyExportsFault = undefined;
    this.dropChannelFault = undefined;
    this.unknownTaskStatusFault = undefined;
    this.truncateLastLineFault = undefined;
    this.chunkedDownloadsFault = undefined;
    this.extraTaskLatencyMs = 0;
    this.channelChanges = [];
  }

  private take<T>(armed: Armed<T> | undefined, name: FaultName, applies = true): T | undefined {
    if (!armed || armed.remaining <= 0 || !applies) return undefined;
    armed.remaining--;
    this.fired[name]++;
    return armed.options;
  }

  takeRateLimit(endpoint: string): RateLimitFault | undefined {
    return this.take(this.rateLimitFault, 'rateLimit', matches(this.rateLimitFault?.options.endpoints, endpoint));
  }

  takeServerError(endpoint: string): ServerErrorFault | undefined {
    return this.take(this.serverErrorFault, 'serverErrors', matches(this.serverErrorFault?.options.endpoints, endpoint));
  }

  takeCutDownload(): CutDownloadFault | undefined {
    return this.take(this.cutDownloadFault, 'cutDownload');
  }

  takeExpiredUrl(): boolean {
    return this.take(this.expireUrlsFault, 'expireUrls') !== undefined;
  }

  takeTaskFailure(): boolean {
    return this.take(this.failTasksFault, 'failTasks') !== undefined;
  }

  takeUnframedDownload(): UnframedDownloadFault | undefined {
    return this.take(this.unframedDownloadFault, 'unframedDownload');
  }

  takeEmptyExport(): boolean {
    return this.take(this.emptyExportsFault, 'emptyExports') !== undefined;
  }

  takeDroppedChannel(): boolean {
    return this.take(this.dropChannelFault, 'dropChannel') !== undefined;
  }

  takeUnknownTaskStatus(): string | undefined {
    const fault = this.take(this.unknownTaskStatusFault, 'unknownTaskStatus');
    return fault && (fault.status ?? 'queued');
  }

  takeTruncatedLastLine(): boolean {
    return this.take(this.truncateLastLineFault, 'truncateLastLine') !== undefined;
  }

  takeChunkedDownload(): ChunkedDownloadsFault | undefined {
    return this.take(this.chunkedDownloadsFault, 'chunkedDownloads');
  }

  get taskLatencyExtraMs(): number {
    return this.extraTaskLatencyMs;
  }
}
