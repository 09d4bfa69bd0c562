import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { ConnectorError, SystemError, TransientError } from '../errors.js';
import type { Log } from './api-transport.js';
import { headerValue, type HeaderValue } from './header-value.js';
import { bodySnippet, describeError } from './error-text.js';
import type { RetryPolicy } from './retry-policy.js';
import { backoffDelayMs } from './retry-policy.js';
import { decide } from './retry-decision.js';
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
  /** Its statuses and delays apply between resumed attempts. */
  policy: RetryPolicy;
  limits: DownloadLimits;
  log?: Log;
}

// Object stores answer an expired or badly signed URL with 403 (S3, Azure) or 400 (GCS).
const REFRESH_STATUSES = new Set([400, 401, 403]);
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
    throw new SystemError(`The download host answered bytes from ${start} when asked from ${offset}`, {
      context: { taskId, endpoint: 'download', status },
    });
  }
  if (range === null) return { skip: 0, end: length === undefined ? undefined : offset + length };
  const total = range[3] === '*' ? Number(range[2]) + 1 : Number(range[3]);
  return { skip: offset - start, end: total };
}

/**
 * The raw bytes of the file, each exactly once: a body cut off (socket error, timeout, fewer bytes than
 * announced) is resumed with `Range: bytes=<offset>-` (a 200 answer has its first `offset` bytes skipped),
 * and a refused URL is replaced by a fresh one. The file ends at its announced length, at the terminating
 * chunk of a chunked body, or, with neither, where the host answers a Range with 416.
 */
async function* resumableBody(download: DownloadRequest, signal: AbortSignal): AsyncGenerator<Buffer> {
  const { taskId, dispatcher, policy, limits, log } = download;
  let url = download.url;
  let offset = 0;
  let refreshes = 0;
  let stalled = 0;

  for (;;) {
    const before = offset;
    const attempt = new AbortController();
    const crawl = crawlWatch(limits, () => offset, attempt);
    let fault: string;
    let cause: unknown;
    checkDownloadUrl(url, taskId);
    try {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (offset > 0) headers.range = `bytes=${offset}-`;
      const {
        statusCode,
        headers: responseHeaders,
        body,
      } = await request(url, { dispatcher, method: 'GET', headers, signal: AbortSignal.any([signal, attempt.signal]) });
      const host = new URL(url).host;
      if (REFRESH_STATUSES.has(statusCode)) {
        const said = bodySnippet(await body.text());
        if (refreshes >= limits.maxUrlRefreshes) {
          throw new TransientError(`The download host ${host} refused the export of task ${taskId} ${refreshes + 1} times (HTTP ${statusCode}): ${said}`, {
            context: { taskId, endpoint: 'download', status: statusCode, host },
          });
        }
        refreshes += 1;
        await log?.('INFO', `Download URL of task ${taskId} refused (HTTP ${statusCode}); fetching a fresh one (${refreshes}/${limits.maxUrlRefreshes})`);
        url = await download.freshUrl(signal);
        continue;
      }
      if (statusCode === 416 && offset > 0) {
        await body.dump();
        if (headerText(responseHeaders['content-range']) === `bytes */${offset}`) return;
        throw new SystemError(`The download host cannot serve the export of task ${taskId} from byte ${offset}`, {
          context: { taskId, endpoint: 'download', status: statusCode, host },
        });
      }
      if (statusCode !== 200 && statusCode !== 206) {
        const said = bodySnippet(await body.text()) || 'an empty body';
        const location = headerText(responseHeaders.location);
        const redirect = location === '' ? '' : ` to ${hostOf(location, url)} (redirects are not followed)`;
        if (decide({ kind: 'answer', status: statusCode }).action === 'fail') {
          throw new SystemError(`The download host ${host} answered HTTP ${statusCode}${redirect} for the export of task ${taskId}: ${said}`, {
            context: { taskId, endpoint: 'download', status: statusCode, host },
          });
        }
        fault = `HTTP ${statusCode}`;
      } else {
        const { end, skip: toSkip } = bodyRange(statusCode, responseHeaders, offset, taskId);
        let skip = toSkip;
        const chunked = /chunked/i.test(headerText(responseHeaders['transfer-encoding']));
        const chunks: AsyncIterable<Buffer> = body;
        for await (const chunk of chunks) {
          if (chunk.length <= skip) {
            skip -= chunk.length;
            continue;
          }
          const piece = skip > 0 ? chunk.subarray(skip) : chunk;
          skip = 0;
          offset += piece.length;
          yield piece;
        }
        // undici fails a chunked body cut before its terminating chunk: one that ends here is whole.
        if (end === undefined ? chunked : offset >= end) return;
        // A range answer may be shorter than asked: its end is no fault, the rest is just another request.
        if (end !== undefined && statusCode === 206 && offset > before) continue;
        // Without a length or chunked framing the end of a body cannot be told from a cut: ask for
        // what follows; only the host saying there is nothing more (416) ends it.
        if (end === undefined) {
          stalled += offset > before ? 0 : 1;
          if (stalled >= limits.maxAttemptsWithoutProgress) {
            throw new TransientError(
              `The download of task ${taskId} ends at byte ${offset} with no length to check it against, ${stalled} times: its end cannot be verified`,
              {
                context: { taskId, endpoint: 'download', offset },
              },
            );
          }
          continue;
        }
        fault = `the body ended at byte ${offset} of ${end}`;
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ConnectorError) throw error;
      fault = crawl.tripped ? crawl.reason : describeError(error);
      cause = error;
    } finally {
      crawl.stop();
    }
    stalled = offset > before && !crawl.tripped ? 0 : stalled + 1;
    if (stalled >= limits.maxAttemptsWithoutProgress) {
      throw new TransientError(`The download of task ${taskId} made no progress ${stalled} times in a row at byte ${offset}: ${fault}`, {
        cause,
        context: { taskId, endpoint: 'download', offset },
      });
    }
    const waitMs = backoffDelayMs(policy, stalled + 1);
    await log?.('WARN', `Download of task ${taskId} interrupted at byte ${offset} (${fault}); resuming in ${(waitMs / 1000).toFixed(1)} s`);
    await sleep(waitMs, signal);
  }
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
  const raw = resumableBody(download, signal);
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
