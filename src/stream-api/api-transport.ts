import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { z } from 'zod';
import type { ErrorContext } from '../errors.js';
import { ConnectorError, type ConnectorErrorOptions } from '../errors.js';
import { apiHeaders, createServerToken } from './auth.js';
import { describeIssues } from '../protocol/zod-issues.js';
import { errorFromResponse, parseErrorBody } from './error-response.js';
import { describeError, seconds } from './error-text.js';
import type { RetryPolicy } from './retry-policy.js';
import { backoffDelayMs, quotaWaitMs } from './retry-policy.js';
import type { Attempt, Decision } from './retry-decision.js';
import type { LogLevel } from '../protocol/message-types.js';
import { decide, errorOf } from './retry-decision.js';
import { sleep } from './sleep.js';
import { EndpointSpacing } from './endpoint-spacing.js';

/** A promise means: wait for it before going on (the output is full). */
export type Log = (level: LogLevel, message: string) => void | Promise<void>;

export interface RateLimitWait {
  endpoint: string;
  waitMs: number;
  resetAt: Date;
  /** A rate limit, or the app's API budget spent (a 429 told apart by its `X-Budget-Used-Ms`). */
  reason: 'rate-limit' | 'budget';
}

/** Told of a rate-limit wait before it starts; a promise, like Log's, means: wait for it. */
export type OnRateLimit = (wait: RateLimitWait) => void | Promise<void>;

/** Socket timeouts, for the API host and the download hosts alike, and the API's whole-attempt deadline. */
export interface Timeouts {
  /** Establishing a connection (TCP + TLS). Default 10 s. */
  connectMs: number;
  /** From the request sent to the response headers. Default 60 s. */
  headersMs: number;
  /** Between two pieces of a response body (a paused, back-pressured body never times out). Default 60 s. */
  bodyMs: number;
  /** One API attempt from start to the last byte of its answer, however it trickles. Default 120 s. */
  requestMs: number;
}

export const defaultTimeouts: Readonly<Timeouts> = Object.freeze({ connectMs: 10_000, headersMs: 60_000, bodyMs: 60_000, requestMs: 120_000 });

/** Stream's API answers are kilobytes; a larger one is not Stream's and is not read further. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

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
  onRateLimit?: OnRateLimit;
  /** Every reply's headers and status, e.g. to read the quota left. */
  onHeaders?: (endpoint: string, headers: Dispatcher.ResponseData['headers'], status: number) => void;
  onLog?: Log;
  /** Spaces each endpoint's requests under its per-second limit (default: as Stream documents them). */
  spacing?: EndpointSpacing;
}

type Response = { kind: 'response'; status: number; headers: Dispatcher.ResponseData['headers']; text: string; receivedAt: Date };
type Outcome = Response | { kind: 'network'; error: unknown };

interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** What one request has spent of its policy: retries, and time waiting out rate limits (which uses up none). */
interface RequestBudget {
  retries: number;
  quotaWaitedMs: number;
}

/** Authenticated JSON requests to the Stream API over one keep-alive pool, with the retry policy applied. */
export class ApiTransport {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly spacing: EndpointSpacing;
  private token: Promise<string> | undefined;

  constructor(private readonly options: ApiTransportOptions) {
    this.spacing = options.spacing ?? new EndpointSpacing();
    const base = new URL(options.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connect: { timeout: options.timeouts.connectMs },
      headersTimeout: options.timeouts.headersMs,
      bodyTimeout: options.timeouts.bodyMs,
    });
  }

  async call<T>(request: ApiRequest, schema: z.ZodType<T>): Promise<T> {
    return (await this.exchange(request, schema)).data;
  }

  /** call, with the headers of the answer and when it arrived by the host's clock. */
  async exchange<T>(request: ApiRequest, schema: z.ZodType<T>): Promise<{ data: T; headers: Dispatcher.ResponseData['headers']; receivedAt: Date }> {
    const prepared = await this.prepare(request);
    const budget: RequestBudget = { retries: 0, quotaWaitedMs: 0 };
    for (;;) {
      await this.spacing.take(request.endpoint, request.signal);
      const outcome = await this.send(request, prepared);
      if (outcome.kind === 'response') {
        this.spacing.observe(request.endpoint, outcome.headers);
        this.options.onHeaders?.(request.endpoint, outcome.headers, outcome.status);
      }
      if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
        const context = { ...request.context, endpoint: request.endpoint };
        return { data: parseSuccess(outcome.text, schema, context, outcome.status), headers: outcome.headers, receivedAt: outcome.receivedAt };
      }
      await this.afterFailure(request, outcome, budget);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async prepare(request: ApiRequest): Promise<PreparedRequest> {
    this.token ??= createServerToken(this.options.apiSecret);
    const token = await this.token;
    const query = new URLSearchParams({ api_key: this.options.apiKey, ...request.query });
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    return { path: `${this.basePath}${request.path}?${query.toString()}`, headers: apiHeaders(token, body !== undefined), body };
  }

  /** One attempt, bounded as a whole by requestMs and in size by MAX_RESPONSE_BYTES. */
  private async send(request: ApiRequest, { path, headers, body }: PreparedRequest): Promise<Outcome> {
    const deadline = AbortSignal.timeout(this.options.timeouts.requestMs);
    const signal = request.signal === undefined ? deadline : AbortSignal.any([request.signal, deadline]);
    try {
      const response = await this.pool.request({ method: request.method, path, headers, body, signal });
      const receivedAt = new Date();
      return { kind: 'response', status: response.statusCode, headers: response.headers, text: await readCapped(response.body, request.endpoint), receivedAt };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (error instanceof ConnectorError) throw error;
      const reason = deadline.aborted ? new Error(`no complete answer within ${seconds(this.options.timeouts.requestMs)}`) : error;
      return { kind: 'network', error: reason };
    }
  }

  /** Waits as the retry table decides for a failed attempt, or throws the error it decides. */
  private async afterFailure(request: ApiRequest, outcome: Outcome, budget: RequestBudget): Promise<void> {
    const decision = decide(attemptOf(outcome));
    const { policy } = this.options;
    if (policy.methods.includes(request.method)) {
      if (decision.action === 'wait-for-quota' && outcome.kind === 'response' && (await this.waitForQuota(request, outcome, budget))) return;
      if (decision.action === 'retry' && budget.retries < policy.limit) return this.backOff(request, outcome, budget);
    }
    throw this.failure(request, outcome, decision, budget.retries + 1);
  }

  private async backOff(request: ApiRequest, outcome: Outcome, budget: RequestBudget): Promise<void> {
    const { policy, onLog } = this.options;
    budget.retries += 1;
    const waitMs = backoffDelayMs(policy, budget.retries);
    const reason = outcome.kind === 'network' ? describeError(outcome.error) : `HTTP ${outcome.status}`;
    await onLog?.('WARN', `${request.endpoint} failed (${reason}); retry ${budget.retries}/${policy.limit} in ${seconds(waitMs)}`);
    await sleep(waitMs, request.signal);
  }

  /** Waits out a rate limit; false when the request's budget for such waits is spent. */
  private async waitForQuota(request: ApiRequest, outcome: Response, budget: RequestBudget): Promise<boolean> {
    const { policy, onRateLimit, onLog } = this.options;
    const now = Date.now();
    const waitMs = quotaWaitMs(policy, outcome.headers, budget.quotaWaitedMs, now);
    if (waitMs === undefined) return false;
    budget.quotaWaitedMs += waitMs;
    const resetAt = new Date(now + waitMs);
    const reason = outcome.headers['x-budget-used-ms'] === undefined ? 'rate-limit' : 'budget';
    await onRateLimit?.({ endpoint: request.endpoint, waitMs, resetAt, reason });
    const what = reason === 'budget' ? "refused: the app's API budget is spent" : 'rate limited by Stream';
    await onLog?.(
      'INFO',
      `${request.endpoint} is ${what}; waiting ${seconds(waitMs)}, until ${resetAt.toISOString()} (${seconds(budget.quotaWaitedMs)} of ${seconds(policy.rateLimitBudgetMs)} allowed)`,
    );
    await sleep(waitMs, request.signal);
    return true;
  }

  private failure(request: ApiRequest, outcome: Outcome, decision: Decision, attempts: number): Error {
    const context = { ...request.context, endpoint: request.endpoint, attempts };
    if (outcome.kind === 'response') return errorFromResponse({ endpoint: request.endpoint, status: outcome.status, bodyText: outcome.text, context });
    return errorOf(decision, `${request.endpoint} got no answer from Stream after ${attempts} attempt(s): ${describeError(outcome.error)}`, {
      cause: outcome.error,
      context,
    });
  }
}

function attemptOf(outcome: Outcome): Attempt {
  if (outcome.kind === 'network') return { request: 'api', kind: 'no-answer' };
  const body = parseErrorBody(outcome.text);
  return { request: 'api', kind: 'answer', status: outcome.status, code: body?.code, message: body?.message };
}

function unusable(words: string, options: ConnectorErrorOptions): ConnectorError {
  return errorOf(decide({ request: 'api', kind: 'unusable' }), words, options);
}

/** The body as text, or a SystemError once it passes MAX_RESPONSE_BYTES (the rest is not read). */
async function readCapped(body: Dispatcher.ResponseData['body'], endpoint: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const pieces: AsyncIterable<Buffer> = body;
  for await (const chunk of pieces) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw unusable(`${endpoint} answered with more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB, which no Stream API answer is: not read further`, {
        context: { endpoint },
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseSuccess<T>(text: string, schema: z.ZodType<T>, context: ErrorContext, status: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw unusable(`${context.endpoint} answered HTTP ${status} with a body that is not JSON`, { cause: error, context: { ...context, status } });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw unusable(`${context.endpoint} answered with an unexpected body: ${describeIssues(parsed.error).join('; ')}`, {
      cause: parsed.error,
      context: { ...context, status },
    });
  }
  return parsed.data;
}
