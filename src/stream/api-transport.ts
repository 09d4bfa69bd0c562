import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { z } from 'zod';
import type { ErrorContext } from '../errors.js';
import { SystemError, TransientError } from '../errors.js';
import { apiHeaders, createServerToken } from './auth.js';
import { errorFromResponse } from './error-response.js';
import { describeError } from './error-text.js';
import { rateLimitResetAt } from './rate-limit-headers.js';
import type { RetryPolicy } from './retry-policy.js';
import { backoffDelayMs, rateLimitDelayMs } from './retry-policy.js';
import { sleep } from './sleep.js';

export type LogLevel = 'INFO' | 'WARN' | 'DEBUG';
export type Log = (level: LogLevel, message: string) => void;

export interface RateLimitWait {
  endpoint: string;
  waitMs: number;
  resetAt: Date;
}

/** Socket timeouts, for the API host and the download hosts alike. */
export interface Timeouts {
  /** Establishing a connection (TCP + TLS). Default 10 s. */
  connectMs: number;
  /** From the request sent to the response headers. Default 60 s. */
  headersMs: number;
  /** Between two pieces of a response body (a paused, back-pressured body never times out). Default 60 s. */
  bodyMs: number;
}

export const defaultTimeouts: Readonly<Timeouts> = Object.freeze({ connectMs: 10_000, headersMs: 60_000, bodyMs: 60_000 });

export interface ApiRequest {
  method: 'GET' | 'POST';
  /** Below base_url, e.g. /export_channels. */
  path: string;
  /** Stream's operation name, e.g. ExportChannels; in errors, logs and rate-limit notices. */
  endpoint: string;
  query?: Record<string, string>;
  body?: unknown;
  context?: ErrorContext;
  signal?: AbortSignal;
}

export interface ApiTransportOptions {
  apiKey: string;
  apiSecret: string;
  baseUrl: string;
  policy: RetryPolicy;
  timeouts: Timeouts;
  onRateLimit?: (wait: RateLimitWait) => void;
  /** Every reply's headers, e.g. to read the quota left. */
  onHeaders?: (endpoint: string, headers: Dispatcher.ResponseData['headers']) => void;
  onLog?: Log;
}

type Outcome =
  | { kind: 'response'; status: number; headers: Dispatcher.ResponseData['headers']; text: string }
  | { kind: 'network'; error: unknown };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Authenticated JSON requests to the Stream API over one keep-alive pool, with the retry policy applied. */
export class ApiTransport {
  private readonly pool: Pool;
  private readonly basePath: string;
  private token: Promise<string> | undefined;

  constructor(private readonly options: ApiTransportOptions) {
    const base = new URL(options.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connect: { timeout: options.timeouts.connectMs },
      headersTimeout: options.timeouts.headersMs,
      bodyTimeout: options.timeouts.bodyMs,
    });
  }

  async call<T>(request: ApiRequest, schema: z.ZodType<T>): Promise<T> {
    this.token ??= createServerToken(this.options.apiSecret);
    const token = await this.token;
    const { policy } = this.options;
    const query = new URLSearchParams({ api_key: this.options.apiKey, ...request.query });
    const path = `${this.basePath}${request.path}?${query}`;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers = apiHeaders(token, body !== undefined);
    const context = { ...request.context, endpoint: request.endpoint };

    for (let retry = 1; ; retry++) {
      const outcome = await this.send(request, path, headers, body);
      if (outcome.kind === 'response') this.options.onHeaders?.(request.endpoint, outcome.headers);
      if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
        return parseSuccess(outcome.text, schema, context, outcome.status);
      }
      const retryable =
        retry <= policy.limit &&
        policy.methods.includes(request.method) &&
        (outcome.kind === 'network' || policy.statusCodes.includes(outcome.status));
      if (!retryable) throw this.failure(request, outcome, retry);
      await this.waitBeforeRetry(request, outcome, retry);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async send(request: ApiRequest, path: string, headers: Record<string, string>, body: string | undefined): Promise<Outcome> {
    try {
      const response = await this.pool.request({ method: request.method, path, headers, body, signal: request.signal });
      return { kind: 'response', status: response.statusCode, headers: response.headers, text: await response.body.text() };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      return { kind: 'network', error };
    }
  }

  private failure(request: ApiRequest, outcome: Outcome, attempts: number): Error {
    const context = { ...request.context, endpoint: request.endpoint, attempts };
    if (outcome.kind === 'network') {
      return new TransientError(
        `${request.endpoint} got no answer from Stream after ${attempts} attempt(s): ${describeError(outcome.error)}`,
        { cause: outcome.error, context },
      );
    }
    return errorFromResponse({ endpoint: request.endpoint, status: outcome.status, bodyText: outcome.text, context });
  }

  private async waitBeforeRetry(request: ApiRequest, outcome: Outcome, retry: number): Promise<void> {
    const { policy, onRateLimit, onLog } = this.options;
    const now = Date.now();
    if (outcome.kind === 'response' && outcome.status === 429) {
      const headerReset = rateLimitResetAt(outcome.headers, now);
      const waitMs = headerReset === undefined ? backoffDelayMs(policy, retry) : rateLimitDelayMs(policy, headerReset, now);
      const resetAt = headerReset ?? new Date(now + waitMs);
      onRateLimit?.({ endpoint: request.endpoint, waitMs, resetAt });
      onLog?.('INFO', `${request.endpoint} is rate limited by Stream until ${resetAt.toISOString()}; waiting ${seconds(waitMs)} (retry ${retry}/${policy.limit})`);
      await sleep(waitMs, request.signal);
      return;
    }
    const waitMs = backoffDelayMs(policy, retry);
    const reason = outcome.kind === 'network' ? describeError(outcome.error) : `HTTP ${outcome.status}`;
    onLog?.('WARN', `${request.endpoint} failed (${reason}); retry ${retry}/${policy.limit} in ${seconds(waitMs)}`);
    await sleep(waitMs, request.signal);
  }
}

function parseSuccess<T>(text: string, schema: z.ZodType<T>, context: ErrorContext, status: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SystemError(`${context.endpoint} answered HTTP ${status} with a body that is not JSON`, { cause: error, context: { ...context, status } });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new SystemError(`${context.endpoint} answered with an unexpected body: ${parsed.error.message}`, {
      cause: parsed.error,
      context: { ...context, status },
    });
  }
  return parsed.data;
}
