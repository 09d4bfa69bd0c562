import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { ConnectorError, SystemError, TransientError } from '../errors.js';
import type { Log } from './api-transport.js';
import { headerValue, type HeaderValue } from './header-value.js';
import { bodySnippet, describeError, seconds } from './error-text.js';
import type { RetryPolicy } from './retry-policy.js';
import { backoffDelayMs, quotaWaitMs } from './retry-policy.js';
import type { Attempt, Decision } from './retry-decision.js';
import { decide, errorOf } from './retry-decision.js';
import { sleep } from './sleep.js';
import { isAllowedUrl } from '../utils/url.js';

export interface DownloadLimits {
  /** Attempts in a row that bring no new byte (or crawl) before the download fails. Default 5. */
  maxAttemptsWithoutProgress: number;
  /** Fresh URLs fetched (GET /tasks/{id}) after the download host refused one. Default 3. */
  maxUrlRefreshes: number;
  /** An attempt bringing fewer bytes than this per second, over a whole window, is dropped and resumed. Default 1 KiB/s. */
  minBytesPerSecond: number;
  /** The window of that rate. Default 60 s. */
  rateWindowMs: number;
}

export const defaultDownloadLimits: Readonly<DownloadLimits> = Object.freeze({
  maxAttemptsWithoutProgress: 5,
  maxUrlRefreshes: 3,
  minBytesPerSecond: 1024,
  rateWindowMs: 60_000,
});

export interface DownloadRequest {
  taskId: string;
  url: string;
  signal?: AbortSignal;
  /** A dispatcher for download hosts only: it must carry no Stream credentials. */
  dispatcher: Dispatcher;
  /** A fresh pre-signed URL for the same file. */
  freshUrl: (signal?: AbortSignal) => Promise<string>;
  /** Its backoff applies between resumed attempts, its rate-limit budget to the download host's 429s. */
  policy: RetryPolicy;
  limits: DownloadLimits;
  log?: Log;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

function headerNumber(value: HeaderValue): number | undefined {
  const text = headerValue(value);
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

function headerText(value: HeaderValue): string {
  return headerValue(value) ?? '';
}

/** Which bytes of a 200/206 body are new (skip) and where the file ends, when the host says. */
function bodyRange(status: number, headers: Dispatcher.ResponseData['headers'], offset: number, taskId: string): { skip: number; end: number | undefined } {
  const length = headerNumber(headers['content-length']);
  if (status === 200) return { skip: offset, end: length };
  const range = CONTENT_RANGE.exec(headerText(headers['content-range']));
  const start = range === null ? offset : Number(range[1]);
  if (start > offset) {
    throw errorOf(decide({ request: 'download', kind: 'unusable' }), `The download host answered bytes from ${start} when asked from ${offset}`, {
      context: { taskId, endpoint: 'download', status },
    });
  }
  if (range === null) return { skip: 0, end: length === undefined ? undefined : offset + length };
  const total = range[3] === '*' ? Number(range[2]) + 1 : Number(range[3]);
  return { skip: offset - start, end: total };
}

/** How one request for the file ended, when it did not end the download. */
type Failure =
  /** An answer other than the file's bytes (and other than a 416 confirming the file's end). */
  | { kind: 'answer'; status: number; host: string; headers: Dispatcher.ResponseData['headers']; said: string }
  /** No answer, or a body cut short; `progressed` when it brought new bytes at a decent rate. */
  | { kind: 'no-answer'; fault: string; cause?: unknown; progressed: boolean };

type Outcome =
  /** The file's end is verified. */
  | { kind: 'complete' }
  /** A range answer shorter than asked, after new bytes: the rest is just another request. */
  | { kind: 'more' }
  /** A body without length or chunked framing that stopped: its end cannot be told from a cut. */
  | { kind: 'unframed-end'; progressed: boolean }
  | Failure;

function attemptOf(failure: Failure): Attempt {
  return failure.kind === 'answer' ? { request: 'download', kind: 'answer', status: failure.status } : { request: 'download', kind: 'no-answer' };
}

/**
 * The raw bytes of the file, each exactly once: a body cut off (socket error, timeout, fewer bytes than
 * announced) is resumed with `Range: bytes=<offset>-` (a 200 answer has its first `offset` bytes skipped).
 * What follows a failed attempt (a resume, a fresh URL, a wait for the host's rate limit, or the error) is
 * the retry table's decision. The file ends at its announced length, at the terminating chunk of a chunked
 * body, or, with neither, where the host answers a Range with 416.
 */
class ResumableDownload {
  private url: string;
  private offset = 0;
  /** What the download has spent of its limits: fresh URLs, attempts in a row without headway, rate-limit waits. */
  private readonly spent = { refreshes: 0, stalled: 0, quotaWaitedMs: 0 };

  constructor(
    private readonly download: DownloadRequest,
    private readonly signal: AbortSignal,
  ) {
    this.url = download.url;
  }

  async *bytes(): AsyncGenerator<Buffer> {
    for (;;) {
      const outcome = yield* this.attempt();
      if (outcome.kind === 'complete') return;
      if (outcome.kind === 'unframed-end') this.askAgainForTheEnd(outcome.progressed);
      else if (outcome.kind !== 'more') await this.afterFailure(outcome);
    }
  }

  /** One request: its new bytes passed on as they come, and how it ended. */
  private async *attempt(): AsyncGenerator<Buffer, Outcome> {
    checkDownloadUrl(this.url, this.download.taskId);
    const before = this.offset;
    const controller = new AbortController();
    const crawl = crawlWatch(this.download.limits, () => this.offset, controller);
    try {
      return yield* this.exchange(AbortSignal.any([this.signal, controller.signal]), before);
    } catch (error) {
      if (this.signal.aborted) throw this.signal.reason;
      if (error instanceof ConnectorError) throw error;
      return {
        kind: 'no-answer',
        fault: crawl.tripped ? crawl.reason : describeError(error),
        cause: error,
        progressed: this.offset > before && !crawl.tripped,
      };
    } finally {
      crawl.stop();
    }
  }

  private async *exchange(signal: AbortSignal, before: number): AsyncGenerator<Buffer, Outcome> {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (this.offset > 0) headers.range = `bytes=${this.offset}-`;
    const response = await request(this.url, { dispatcher: this.download.dispatcher, method: 'GET', headers, signal });
    const { statusCode: status, headers: answered, body } = response;
    if (status === 200 || status === 206) return yield* this.readBody(response, before);
    const host = new URL(this.url).host;
    if (status !== 416 || this.offset === 0) return { kind: 'answer', status, host, headers: answered, said: bodySnippet(await body.text()) };
    await body.dump();
    return headerText(answered['content-range']) === `bytes */${this.offset}`
      ? { kind: 'complete' }
      : { kind: 'answer', status, host, headers: answered, said: '' };
  }

  private async *readBody({ statusCode: status, headers, body }: Dispatcher.ResponseData, before: number): AsyncGenerator<Buffer, Outcome> {
    const { end, skip } = bodyRange(status, headers, this.offset, this.download.taskId);
    const chunked = /chunked/i.test(headerText(headers['transfer-encoding']));
    yield* this.passOn(body, skip);
    // undici fails a chunked body cut before its terminating chunk: one that ends here is whole.
    if (end === undefined ? chunked : this.offset >= end) return { kind: 'complete' };
    if (end !== undefined && status === 206 && this.offset > before) return { kind: 'more' };
    if (end === undefined) return { kind: 'unframed-end', progressed: this.offset > before };
    return { kind: 'no-answer', fault: `the body ended at byte ${this.offset} of ${end}`, progressed: this.offset > before };
  }

  /** The body's bytes past the first `skip`, counted into the offset. */
  private async *passOn(body: AsyncIterable<Buffer>, skip: number): AsyncGenerator<Buffer> {
    let toSkip = skip;
    for await (const chunk of body) {
      if (chunk.length <= toSkip) {
        toSkip -= chunk.length;
        continue;
      }
      const piece = toSkip > 0 ? chunk.subarray(toSkip) : chunk;
      toSkip = 0;
      this.offset += piece.length;
      yield piece;
    }
  }

  /**
   * Without a length or chunked framing the end of a body cannot be told from a cut (the table's
   * no-answer row): what follows is asked for at once, as the host is answering; only the host
   * saying there is nothing more (416) ends it.
   */
  private askAgainForTheEnd(progressed: boolean): void {
    const { taskId, limits } = this.download;
    this.spent.stalled += progressed ? 0 : 1;
    if (this.spent.stalled < limits.maxAttemptsWithoutProgress) return;
    const words = `The download of task ${taskId} ends at byte ${this.offset} with no length to check it against, ${this.spent.stalled} times: its end cannot be verified`;
    throw errorOf(decide({ request: 'download', kind: 'no-answer' }), words, { context: { taskId, endpoint: 'download', offset: this.offset } });
  }

  /** What the retry table decides for a failed attempt: a fresh URL, a wait for the host's quota, a resume, or the error. */
  private async afterFailure(failure: Failure): Promise<void> {
    const decision = decide(attemptOf(failure));
    if (decision.action === 'retry') return this.resume(failure, decision);
    if (failure.kind === 'answer' && decision.action === 'refresh-url') return this.refreshUrl(failure, decision);
    if (failure.kind === 'answer' && decision.action === 'wait-for-quota') return this.waitForQuota(failure, decision);
    throw this.failed(failure, decision, refusalWords(failure, this.download.taskId, this.offset));
  }

  private async resume(failure: Failure, decision: Decision): Promise<void> {
    const { taskId, policy, limits, log } = this.download;
    this.spent.stalled = failure.kind === 'no-answer' && failure.progressed ? 0 : this.spent.stalled + 1;
    const fault = failure.kind === 'no-answer' ? failure.fault : `HTTP ${failure.status}`;
    if (this.spent.stalled >= limits.maxAttemptsWithoutProgress) {
      throw this.failed(
        failure,
        decision,
        `The download of task ${taskId} made no progress ${this.spent.stalled} times in a row at byte ${this.offset}: ${fault}`,
      );
    }
    const waitMs = backoffDelayMs(policy, this.spent.stalled + 1);
    await log?.('WARN', `Download of task ${taskId} interrupted at byte ${this.offset} (${fault}); resuming in ${seconds(waitMs)}`);
    await sleep(waitMs, this.signal);
  }

  private async refreshUrl(answer: Extract<Failure, { kind: 'answer' }>, decision: Decision): Promise<void> {
    const { taskId, limits, log } = this.download;
    if (this.spent.refreshes >= limits.maxUrlRefreshes) {
      const times = this.spent.refreshes + 1;
      throw this.failed(
        answer,
        decision,
        `The download host ${answer.host} refused the export of task ${taskId} ${times} times (HTTP ${answer.status}): ${answer.said}`,
      );
    }
    this.spent.refreshes += 1;
    await log?.(
      'INFO',
      `Download URL of task ${taskId} refused (HTTP ${answer.status}); fetching a fresh one (${this.spent.refreshes}/${limits.maxUrlRefreshes})`,
    );
    this.url = await this.download.freshUrl(this.signal);
  }

  /** Waits as long as the host's `Retry-After` (or a backoff) says, within the policy's budget for rate-limit waits. */
  private async waitForQuota(answer: Extract<Failure, { kind: 'answer' }>, decision: Decision): Promise<void> {
    const { taskId, policy, log } = this.download;
    const waitMs = quotaWaitMs(policy, answer.headers, this.spent.quotaWaitedMs, Date.now());
    if (waitMs === undefined) {
      const waited = seconds(this.spent.quotaWaitedMs);
      throw this.failed(
        answer,
        decision,
        `The download host ${answer.host} kept rate limiting the export of task ${taskId} past ${waited} of waits (HTTP 429): ${answer.said}`,
      );
    }
    this.spent.quotaWaitedMs += waitMs;
    const allowed = `${seconds(this.spent.quotaWaitedMs)} of ${seconds(policy.rateLimitBudgetMs)} allowed`;
    await log?.(
      'INFO',
      `Download of task ${taskId} is rate limited by ${answer.host}; waiting ${seconds(waitMs)} to go on from byte ${this.offset} (${allowed})`,
    );
    await sleep(waitMs, this.signal);
  }

  private failed(failure: Failure, decision: Decision, words: string): ConnectorError {
    const { taskId } = this.download;
    if (failure.kind === 'no-answer') return errorOf(decision, words, { cause: failure.cause, context: { taskId, endpoint: 'download', offset: this.offset } });
    return errorOf(decision, words, { context: { taskId, endpoint: 'download', status: failure.status, host: failure.host } });
  }
}

/** The words of an answer no retry can help. */
function refusalWords(failure: Failure, taskId: string, offset: number): string {
  if (failure.kind === 'no-answer') return `The download of task ${taskId} failed at byte ${offset}: ${failure.fault}`;
  if (failure.status === 416) return `The download host cannot serve the export of task ${taskId} from byte ${offset}`;
  const location = headerText(failure.headers.location);
  const redirect = location === '' ? '' : ` to ${hostOf(location, `https://${failure.host}`)} (redirects are not followed)`;
  return `The download host ${failure.host} answered HTTP ${failure.status}${redirect} for the export of task ${taskId}: ${failure.said || 'an empty body'}`;
}

/**
 * Drops an attempt that brings fewer than minBytesPerSecond over a whole window: a body that
 * trickles never trips the socket's idle timeout.
 */
function crawlWatch(limits: DownloadLimits, offset: () => number, attempt: AbortController): { tripped: boolean; reason: string; stop: () => void } {
  const minBytes = (limits.minBytesPerSecond * limits.rateWindowMs) / 1000;
  let last = offset();
  const watch = {
    tripped: false,
    reason: `slower than ${limits.minBytesPerSecond} bytes/s for ${limits.rateWindowMs / 1000} s`,
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    const now = offset();
    if (now - last < minBytes) {
      watch.tripped = true;
      attempt.abort(new Error(watch.reason));
    }
    last = now;
  }, limits.rateWindowMs);
  timer.unref();
  return watch;
}

function hostOf(location: string, base: string): string {
  try {
    return new URL(location, base).host || 'an unnamed host';
  } catch {
    return 'an invalid location';
  }
}

/**
 * The rule base_url follows applies to downloads: https, or plain http on a loopback host. Anything
 * else (another scheme, a relative URL) fails at once; no retry can make it right.
 */
function checkDownloadUrl(text: string, taskId: string): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url !== undefined && isAllowedUrl(url)) return;
  const shown = url === undefined ? 'not an absolute URL' : `${url.protocol}//${url.host}`;
  throw new SystemError(`The download URL of task ${taskId} is not https (plain http only on loopback): ${shown}`, {
    context: { taskId, endpoint: 'download' },
  });
}

async function readHead(source: AsyncIterator<Buffer>, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const next = await source.next();
    if (next.done === true) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

async function* prepend(head: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  yield* rest;
}

async function* gunzip(source: AsyncIterable<Buffer>, taskId: string): AsyncGenerator<Buffer> {
  const output: AsyncIterable<Buffer> = pipeline(Readable.from(source), createGunzip({ chunkSize: 64 * 1024 }), () => {});
  try {
    for await (const chunk of output) yield chunk;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('Z_')) throw error;
    const ErrorClass = code === 'Z_BUF_ERROR' ? TransientError : SystemError;
    throw new ErrorClass(`The export file of task ${taskId} is not valid gzip: ${describeError(error)}`, {
      cause: error,
      context: { taskId, endpoint: 'download' },
    });
  }
}

/** The file's bytes, gunzipped when they start with the gzip magic bytes (whatever the headers say). */
export async function* downloadExport(download: DownloadRequest): AsyncGenerator<Buffer> {
  const controller = new AbortController();
  const signal = download.signal === undefined ? controller.signal : AbortSignal.any([download.signal, controller.signal]);
  const raw = new ResumableDownload(download, signal).bytes();
  try {
    const head = await readHead(raw, GZIP_MAGIC.length);
    const bytes = prepend(head, raw);
    if (head.subarray(0, GZIP_MAGIC.length).equals(GZIP_MAGIC)) yield* gunzip(bytes, download.taskId);
    else yield* bytes;
  } finally {
    // Stops a request still in flight when the consumer leaves early.
    controller.abort();
  }
}
