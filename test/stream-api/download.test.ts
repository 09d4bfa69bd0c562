import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createGzip, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemError, TransientError } from '../../src/errors.js';
import type { StreamApiClientOptions } from '../../src/stream-api/client.js';
import { StreamApiClient } from '../../src/stream-api/client.js';
import type { LoopbackServer, RecordedRequest } from './loopback-server.js';
import { sendJson, startServer, until } from './loopback-server.js';

const API_KEY = 'key-123';

/** ~1.6 MB of JSONL that gzip cannot shrink to nothing (hex noise), so a cut lands mid-stream either way. */
const PLAIN = Buffer.from(
  Array.from(
    { length: 8_000 },
    (_, index) => `${JSON.stringify({ type: 'message', data: { id: `m${index}`, text: randomBytes(90).toString('hex') } })}\n`,
  ).join(''),
);
const GZIP = gzipSync(PLAIN);

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What the file host does with one request. */
interface Behaviour {
  status?: number;
  /** Close the connection after this many body bytes (the headers still announce the whole body). */
  cutAfter?: number;
  /** Answer 200 with the whole file even when a Range is asked. */
  ignoreRange?: boolean;
  /** Answer a Range from this many bytes earlier than asked (allowed by HTTP). */
  startEarlier?: number;
  /** Serve at most this many bytes per Range answer (allowed by HTTP; the Content-Range says so). */
  maxRangeLength?: number;
  /** Frame the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
  headers?: Record<string, string>;
}

function serveFile(response: ServerResponse, request: RecordedRequest, file: Buffer, behaviour: Behaviour): void {
  if (behaviour.status !== undefined) {
    response.writeHead(behaviour.status, { 'content-type': 'application/xml', ...behaviour.headers });
    response.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    return;
  }
  const asked = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const start = asked === null || behaviour.ignoreRange === true ? 0 : Math.max(0, Number(asked[1]) - (behaviour.startEarlier ?? 0));
  const body = file.subarray(start, start > 0 ? start + (behaviour.maxRangeLength ?? file.length) : file.length);
  const length = behaviour.chunked === true ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) };
  const headers = { 'content-type': 'application/octet-stream', ...length, ...behaviour.headers };
  if (start > 0) response.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${start + body.length - 1}/${file.length}` });
  else response.writeHead(200, headers);
  if (behaviour.cutAfter === undefined) {
    response.end(body);
    return;
  }
  response.write(body.subarray(0, behaviour.cutAfter), () => response.socket?.destroy());
}

interface Fixture {
  api: LoopbackServer;
  files: LoopbackServer;
  client: StreamApiClient;
  logs: string[];
  url: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A Stream API answering GET /tasks/t1 with a freshly signed URL each time, and a file host. */
async function setup(
  file: Buffer,
  plan: (index: number, request: RecordedRequest) => Behaviour,
  options: Partial<StreamApiClientOptions> = {},
): Promise<Fixture> {
  const files = await startServer((request, response, index) => serveFile(response, request, file, plan(index, request)));
  let signatures = 1;
  const api = await startServer((_request, response) => {
    signatures += 1;
    sendJson(response, 200, { task_id: 't1', status: 'completed', result: { url: `${files.url}/exports/t1.jsonl?X-Amz-Signature=${signatures}` } });
  });
  const logs: string[] = [];
  const client = new StreamApiClient({
    apiKey: API_KEY,
    apiSecret: 'secret-456',
    baseUrl: api.url,
    onLog: (level, message) => void logs.push(`${level} ${message}`),
    retry: { baseDelayMs: 1, maxDelayMs: 5, jitter: 0 },
    ...options,
  });
  cleanups.push(
    () => client.close(),
    () => api.close(),
    () => files.close(),
  );
  return { api, files, client, logs, url: `${files.url}/exports/t1.jsonl?X-Amz-Signature=1` };
}

async function downloadAll(fixture: Fixture): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of fixture.client.download('t1', fixture.url)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('download', () => {
  it('streams a plain file and sends the download host no Stream credentials', async () => {
    const fixture = await setup(PLAIN, () => ({}));
    const bytes = await downloadAll(fixture);

    expect(sha256(bytes)).toBe(sha256(PLAIN));
    const [request] = fixture.files.requests;
    expect(request?.headerNames).toEqual(['host', 'connection', 'accept-encoding']);
    expect(request?.headers['accept-encoding']).toBe('identity');
    expect(request?.url.searchParams.get('api_key')).toBeNull();
    expect(request?.url.search).toBe('?X-Amz-Signature=1');
    expect(JSON.stringify(request?.headers)).not.toContain(API_KEY);
    expect(fixture.api.requests).toHaveLength(0);
  });

  it('gunzips a file that starts with the gzip magic bytes whatever its headers say', async () => {
    const fixture = await setup(GZIP, () => ({ headers: { 'content-type': 'application/json' } }));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
  });

  it('does not gunzip a plain file labelled as gzip', async () => {
    const fixture = await setup(PLAIN, () => ({ headers: { 'content-encoding': 'gzip', 'content-type': 'application/gzip' } }));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
  });

  it.each([
    ['plain', PLAIN],
    ['gzip', GZIP],
  ])('resumes a cut-off %s body with Range from the byte reached, losing and repeating nothing', async (_name, file) => {
    const fixture = await setup(file, (index) => (index < 2 ? { cutAfter: Math.floor(file.length * (0.3 + index * 0.3)) } : {}));
    const bytes = await downloadAll(fixture);

    expect(sha256(bytes)).toBe(sha256(PLAIN));
    const ranges = fixture.files.requests.map((request) => request.headers.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges.slice(1)).toEqual([expect.stringMatching(/^bytes=[1-9]\d*-$/), expect.stringMatching(/^bytes=[1-9]\d*-$/)]);
    expect(fixture.logs.filter((line) => line.startsWith('WARN Download of task t1 interrupted'))).toHaveLength(2);
  });

  it.each([
    ['plain', PLAIN],
    ['gzip', GZIP],
  ])('skips the bytes it already has when a cut-off %s body is resent whole', async (_name, file) => {
    const fixture = await setup(file, (index) => (index === 0 ? { cutAfter: Math.floor(file.length / 2) } : { ignoreRange: true }));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
    expect(fixture.files.requests[1]?.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it.each([
    ['plain', PLAIN],
    ['gzip', GZIP],
  ])('takes a chunked %s body that ended with its last chunk as whole, even from a host that ignores Range', async (_name, file) => {
    const fixture = await setup(file, () => ({ chunked: true, ignoreRange: true }));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
    expect(fixture.files.requests).toHaveLength(1);
    expect(fixture.logs.filter((line) => line.includes('interrupted'))).toEqual([]);
  });

  it.each([
    ['plain', PLAIN],
    ['gzip', GZIP],
  ])('resumes a chunked %s body cut before its last chunk with Range', async (_name, file) => {
    const fixture = await setup(file, (index) => (index === 0 ? { chunked: true, cutAfter: Math.floor(file.length / 2) } : { chunked: true }));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
    expect(fixture.files.requests.map((request) => request.headers.range)).toEqual([undefined, expect.stringMatching(/^bytes=[1-9]\d*-$/)]);
    expect(fixture.logs.filter((line) => /interrupted .*other side closed/.test(line))).toHaveLength(1);
  });

  it('skips the overlap when the host resumes from an earlier byte than asked', async () => {
    const fixture = await setup(GZIP, (index) => (index === 0 ? { cutAfter: Math.floor(GZIP.length / 2) } : { startEarlier: 1_000 }));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
  });

  it('asks for the rest when the host answers a shorter range than asked', async () => {
    const fixture = await setup(GZIP, (index) => (index === 0 ? { cutAfter: 10_000 } : { maxRangeLength: 200_000 }));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
    expect(fixture.files.requests.length).toBeGreaterThan(2);
    expect(fixture.logs.filter((line) => line.includes('interrupted'))).toHaveLength(1);
  });

  it('retries a connection reset before the first byte', async () => {
    const fixture = await setup(PLAIN, (index) => (index === 0 ? { cutAfter: 0 } : {}));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
    expect(fixture.files.requests[1]?.headers.range).toBeUndefined();
  });

  it('fetches a fresh URL through GET /tasks when the host says the URL expired', async () => {
    const fixture = await setup(GZIP, (_index, request) => (request.url.searchParams.get('X-Amz-Signature') === '1' ? { status: 403 } : {}));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));

    expect(fixture.api.requests.map((request) => request.url.pathname)).toEqual(['/tasks/t1']);
    expect(fixture.api.requests[0]?.headers.authorization).toBeDefined();
    expect(fixture.files.requests.map((request) => request.url.searchParams.get('X-Amz-Signature'))).toEqual(['1', '2']);
    for (const request of fixture.files.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['stream-auth-type']).toBeUndefined();
      expect(request.headers['x-stream-client']).toBeUndefined();
      expect(request.url.searchParams.has('api_key')).toBe(false);
    }
  });

  it('keeps its place when the URL expires in the middle of a download', async () => {
    const fixture = await setup(PLAIN, (index) => (index === 0 ? { cutAfter: 300_000 } : index === 1 ? { status: 403 } : {}));
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
    expect(fixture.files.requests[2]?.headers.range).toBe(fixture.files.requests[1]?.headers.range);
  });

  it('waits out a 429 of the download host for its Retry-After, then downloads the file whole', async () => {
    const fixture = await setup(GZIP, (index) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : {}));
    const started = performance.now();
    expect(sha256(await downloadAll(fixture))).toBe(sha256(PLAIN));
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(fixture.files.requests).toHaveLength(2);
    expect(fixture.api.requests).toHaveLength(0);
    expect(fixture.logs).toEqual([expect.stringMatching(/^INFO Download of task t1 is rate limited by 127\.0\.0\.1:\d+; waiting 1\.0 s/)]);
  });

  it('gives up with a TransientError when the download host rate limits past the budget of waits', async () => {
    const fixture = await setup(PLAIN, () => ({ status: 429, headers: { 'retry-after': '1' } }), { retry: { maxRateLimitWaitMs: 10, rateLimitBudgetMs: 35 } });
    const error = await downloadAll(fixture).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).context).toMatchObject({ taskId: 't1', status: 429 });
    expect(fixture.files.requests).toHaveLength(4);
  });

  it('gives up with a TransientError when fresh URLs keep being refused', async () => {
    const fixture = await setup(PLAIN, () => ({ status: 403 }), { download: { maxUrlRefreshes: 2 } });
    const error = await downloadAll(fixture).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).context).toMatchObject({ taskId: 't1', status: 403 });
    expect(fixture.files.requests).toHaveLength(3);
    expect(fixture.api.requests).toHaveLength(2);
  });

  it('gives up with a TransientError after too many attempts in a row without progress', async () => {
    const fixture = await setup(PLAIN, (index) => (index === 0 ? { cutAfter: 1_000 } : { cutAfter: 0 }), { download: { maxAttemptsWithoutProgress: 3 } });
    const error = await downloadAll(fixture).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).context).toMatchObject({ taskId: 't1', offset: 1_000 });
    expect(fixture.files.requests).toHaveLength(4);
  });

  it('fails with a SystemError on an answer it cannot use', async () => {
    const fixture = await setup(PLAIN, () => ({ status: 404 }));
    await expect(downloadAll(fixture)).rejects.toBeInstanceOf(SystemError);
  });

  it('fails with a SystemError on corrupt gzip', async () => {
    const corrupt = Buffer.concat([GZIP.subarray(0, 20), Buffer.alloc(5_000, 0x41), GZIP.subarray(20)]);
    const fixture = await setup(corrupt, () => ({}));
    await expect(downloadAll(fixture)).rejects.toBeInstanceOf(SystemError);
  });

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['a one-byte file', Buffer.from('\n')],
    ['a file starting with 0x1f only', Buffer.from([0x1f, 0x20, 0x21])],
  ])('handles %s', async (_name, file) => {
    const fixture = await setup(file, () => ({}));
    expect(await downloadAll(fixture)).toEqual(file);
  });

  it.each([['plain'], ['gzip']])('stops a %s transfer when the consumer leaves early', async (encoding) => {
    let closed = false;
    const endless = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.on('close', () => {
        closed = true;
      });
      const sink = encoding === 'gzip' ? createGzip() : response;
      if (sink !== response) sink.pipe(response);
      const pump = (): void => {
        while (!closed && sink.write(PLAIN.subarray(0, 64 * 1024)));
        if (!closed) sink.once('drain', pump);
      };
      pump();
    });
    const client = new StreamApiClient({ apiKey: API_KEY, apiSecret: 's', baseUrl: endless.url });
    cleanups.push(
      () => client.close(),
      () => endless.close(),
    );

    for await (const chunk of client.download('t1', `${endless.url}/endless`)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await until(() => closed);
  });

  it('rejects with the abort reason when the signal aborts mid-download', async () => {
    const fixture = await setup(PLAIN, () => ({}));
    const controller = new AbortController();
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const chunk of fixture.client.download('t1', fixture.url, controller.signal)) {
        chunks.push(chunk);
        if (chunks.length === 1) controller.abort(new Error('sync cancelled'));
      }
    })();
    await expect(done).rejects.toThrow('sync cancelled');
    await until(() => fixture.files.requests.length === 1);
  });
});
