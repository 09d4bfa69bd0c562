// Fault switches. Each counted fault fires on the next matching requests and counts down, so a client
// that retries eventually succeeds.

export interface RateLimitFault {
  count: number;
  /** X-RateLimit-Reset is now + this (default 1). */
  resetInSeconds?: number;
  /** Endpoint names (e.g. 'ExportChannels', 'GetTask'); default every API endpoint. */
  endpoints?: string[];
  /** 'text' (default): a plain-text body as Stream's edge sends; 'json': Stream's error body with code 9. */
  body?: 'text' | 'json';
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

export type FaultName = 'rateLimit' | 'serverErrors' | 'cutDownload' | 'expireUrls' | 'failTasks' | 'unframedDownload' | 'emptyExports' | 'dropChannel';

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
  private extraTaskLatencyMs = 0;
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
  };

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
    this.extraTaskLatencyMs = 0;
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

  get taskLatencyExtraMs(): number {
    return this.extraTaskLatencyMs;
  }
}
