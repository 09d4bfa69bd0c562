import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { ConnectorError, SystemError, TransientError } from '../errors.js';
import type { Log } from './api-transport.js';
import { bodySnippet, describeError } from './error-text.js';
import type { RetryPolicy } from './retry-policy.js';
import { backoffDelayMs } from './retry-policy.js';
import { sleep } from './sleep.js';

export interface DownloadLimits {
  /** Attempts in a row that bring no new byte before the download fails. Default 5. */
  maxAttemptsWithoutProgress: number;
  /** Fresh URLs fetched (GET /tasks/{id}) after the download host refused one. Default 3. */
  maxUrlRefreshes: number;
}

export const defaultDownloadLimits: Readonly<DownloadLimits> = Object.freeze({ maxAttemptsWithoutProgress: 5, maxUrlRefreshes: 3 });

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

function headerNumber(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}

function headerText(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
}

/** Which bytes of a 200/206 body are new (skip) and where the file ends, when the host says. */
function bodyRange(
  status: number,
  headers: Dispatcher.ResponseData['headers'],
  offset: number,
  taskId: string,
): { skip: number; end: number | undefined } {
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
 * and a refused URL is replaced by a fresh one.
 */
async function* resumableBody(download: DownloadRequest, signal: AbortSignal): AsyncGenerator<Buffer> {
  const { taskId, dispatcher, policy, limits, log } = download;
  let url = download.url;
  let offset = 0;
  let refreshes = 0;
  let stalled = 0;

  for (;;) {
    const before = offset;
    let fault: string;
    let cause: unknown;
    try {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (offset > 0) headers.range = `bytes=${offset}-`;
      const { statusCode, headers: responseHeaders, body } = await request(url, { dispatcher, method: 'GET', headers, signal });
      const host = new URL(url).host;
      if (REFRESH_STATUSES.has(statusCode)) {
        const said = bodySnippet(await body.text());
        if (refreshes >= limits.maxUrlRefreshes) {
          throw new TransientError(`The download host ${host} refused the export of task ${taskId} ${refreshes + 1} times (HTTP ${statusCode}): ${said}`, {
            context: { taskId, endpoint: 'download', status: statusCode, host },
          });
        }
        refreshes += 1;
        log?.('INFO', `Download URL of task ${taskId} refused (HTTP ${statusCode}); fetching a fresh one (${refreshes}/${limits.maxUrlRefreshes})`);
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
        const said = bodySnippet(await body.text());
        if (!policy.statusCodes.includes(statusCode)) {
          throw new SystemError(`The download host ${host} answered HTTP ${statusCode} for the export of task ${taskId}: ${said}`, {
            context: { taskId, endpoint: 'download', status: statusCode, host },
          });
        }
        fault = `HTTP ${statusCode}`;
      } else {
        let { skip, end } = bodyRange(statusCode, responseHeaders, offset, taskId);
        for await (const chunk of body as AsyncIterable<Buffer>) {
          if (chunk.length <= skip) {
            skip -= chunk.length;
            continue;
          }
          const piece = skip > 0 ? chunk.subarray(skip) : chunk;
          skip = 0;
          offset += piece.length;
          yield piece;
        }
        if (end === undefined || offset >= end) return;
        // A range answer may be shorter than asked: its end is no fault, the rest is just another request.
        if (statusCode === 206 && offset > before) continue;
        fault = `the body ended at byte ${offset} of ${end}`;
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ConnectorError) throw error;
      fault = describeError(error);
      cause = error;
    }
    stalled = offset > before ? 0 : stalled + 1;
    if (stalled >= limits.maxAttemptsWithoutProgress) {
      throw new TransientError(`The download of task ${taskId} made no progress ${stalled} times in a row at byte ${offset}: ${fault}`, {
        cause,
        context: { taskId, endpoint: 'download', offset },
      });
    }
    const waitMs = backoffDelayMs(policy, stalled + 1);
    log?.('WARN', `Download of task ${taskId} interrupted at byte ${offset} (${fault}); resuming in ${(waitMs / 1000).toFixed(1)} s`);
    await sleep(waitMs, signal);
  }
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
  const output = pipeline(Readable.from(source), createGunzip({ chunkSize: 64 * 1024 }), () => {});
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) yield chunk;
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
