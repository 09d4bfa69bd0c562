import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Faults } from './faults.js';
import { listen } from './listen.js';
import { checkSignature, signQuery } from './url-signing.js';

// The second port: a stand-in for the object store that serves export files through presigned URLs.
// It knows nothing of Stream's credentials.

const MAX_RECORDS = 10_000;

export interface StoredFile {
  /** Object key, e.g. exports/channels/<api key>/<task id>/channels.jsonl */
  key: string;
  localPath: string;
  size: number;
}

export interface DownloadRecord {
  method: string;
  /** Path and query as requested. */
  url: string;
  headers: IncomingHttpHeaders;
  status: number;
  at: Date;
}

export interface DownloadServerOptions {
  port: number;
  bucket: string;
  urlTtlMs: number;
  faults: Faults;
  now: () => Date;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' + `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The requested byte range, 'unsatisfiable', or undefined for the whole file (no or an unsupported Range). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, from, to] = match as unknown as [string, string, string];
  if (from === '') {
    const suffix = Number(to);
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

export class DownloadServer {
  private readonly files = new Map<string, StoredFile>();
  private readonly secret = randomBytes(32);
  private readonly server: Server;
  /** The latest 10,000 requests. */
  readonly records: DownloadRecord[] = [];
  requestCount = 0;
  url = '';

  constructor(private readonly options: DownloadServerOptions) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    this.url = await listen(this.server, this.options.port);
    return this.url;
  }

  put(file: StoredFile): void {
    this.files.set(file.key, file);
  }

  /** A fresh presigned URL for the object (S3 gives a new one at every status poll). */
  signedUrl(key: string): string {
    const path = `/${this.options.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    return `${this.url}${path}?${signQuery(this.secret, key, this.options.now(), this.options.urlTtlMs)}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const record: DownloadRecord = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, status: 0, at: this.options.now() };
    this.requestCount++;
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.shift();
    res.setHeader('Date', record.at.toUTCString());
    res.on('finish', () => (record.status = res.statusCode));
    res.on('close', () => (record.status ||= res.statusCode));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const prefix = `/${this.options.bucket}/`;
    const key = url.pathname.startsWith(prefix) ? decodeURIComponent(url.pathname.slice(prefix.length)) : '';
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const check = checkSignature(this.secret, key, url.searchParams, this.options.now());
    if (check === 'invalid') {
      return s3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    if (check === 'expired' || this.options.faults.takeExpiredUrl()) return s3Error(res, 403, 'AccessDenied', 'Request has expired');
    const file = this.files.get(key);
    if (!file) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    this.serveFile(req, res, file);
  }

  /** The start of the file up to a line break, with neither a length nor chunks: the close ends the body. */
  private serveUnframed(res: ServerResponse, file: StoredFile, afterBytes: number, headers: Record<string, string | number>): void {
    const head = readFileSync(file.localPath).subarray(0, Math.min(file.size, afterBytes + 64 * 1024));
    const lineEnd = head.indexOf(0x0a, Math.min(afterBytes, head.length));
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, { ...headers, Connection: 'close' });
    res.end(head.subarray(0, lineEnd < 0 ? head.length : lineEnd + 1));
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, file: StoredFile): void {
    const range = parseRange(req.headers.range, file.size);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${file.key.length.toString(16)}-${file.size.toString(16)}"`,
    };
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}` });
      return void res.end();
    }
    const unframed = range === undefined ? this.options.faults.takeUnframedDownload() : undefined;
    if (unframed) return this.serveUnframed(res, file, unframed.afterBytes, headers);
    const chunkedFault = req.method === 'GET' ? this.options.faults.takeChunkedDownload() : undefined;
    const honoured = chunkedFault?.ignoreRange ? undefined : range;
    const start = honoured?.start ?? 0;
    const end = honoured?.end ?? file.size - 1;
    if (honoured) headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
    // Without a Content-Length Node frames the body in chunks; its last chunk ends it, complete.
    res.writeHead(honoured ? 206 : 200, chunkedFault ? headers : { ...headers, 'Content-Length': end - start + 1 });
    if (req.method === 'HEAD' || end < start) return void res.end();
    const cut = this.options.faults.takeCutDownload();
    const last = cut ? Math.min(end, start + cut.afterBytes - 1) : end;
    // Destroying the socket once the partial body is flushed leaves the client short of Content-Length.
    const cutOff = () => res.write('', () => req.socket.destroy());
    if (last < start) return void cutOff();
    const body = createReadStream(file.localPath, { start, end: last });
    body.on('error', () => res.destroy());
    body.pipe(res, { end: !cut });
    if (cut) body.on('end', cutOff);
  }
}
