// Hostile upstreams (issue "Hostile upstreams and inputs"): each case is a loopback server doing it.
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemError, TransientError } from '../../src/errors.js';
import type { ChannelSummary, StreamApiClientOptions } from '../../src/stream-api/client.js';
import { StreamApiClient } from '../../src/stream-api/client.js';
import { channelListing, type QueryChannelsBody } from '../../src/stream-api/channels.js';

const EXPORT_OPTIONS = { version: 'v2', include_truncated_messages: false, include_soft_deleted_channels: false } as const;
import type { Handler } from './loopback-server.js';
import { sendJson, startServer } from './loopback-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function client(handler: Handler, options: Partial<StreamApiClientOptions> = {}) {
  const server = await startServer(handler);
  const logs: string[] = [];
  const stream = new StreamApiClient({
    apiKey: 'k',
    apiSecret: 's',
    baseUrl: server.url,
    onLog: (level, message) => void logs.push(`${level} ${message}`),
    ...options,
    retry: { baseDelayMs: 2, maxDelayMs: 5, jitter: 0, ...options.retry },
  });
  cleanups.push(
    () => stream.close(),
    () => server.close(),
  );
  return { server, client: stream, logs };
}

/** A raw TCP server: what no HTTP library would send. */
async function rawServer(answer: (socket: Socket, request: string, index: number) => void): Promise<string> {
  let index = 0;
  const server = createTcpServer((socket) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      answer(socket, text, index++);
      text = '';
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function drain(iterable: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const FILE = Buffer.from(Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ type: 'message', data: { id: `m${i}` } })}\n`).join(''));

describe('downloads from a hostile host', () => {
  it('does not take a body without length or chunks, closed at a line break, as the whole file', async () => {
    const cut = FILE.indexOf(0x0a, 300) + 1;
    const url = await rawServer((socket, request) => {
      const range = /range: bytes=(\d+)-/i.exec(request);
      if (range === null) {
        socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), FILE.subarray(0, cut)]));
        return;
      }
      const start = Number(range[1]);
      const rest = FILE.subarray(start);
      socket.end(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 206 Partial Content\r\nContent-Length: ${rest.length}\r\nContent-Range: bytes ${start}-${FILE.length - 1}/${FILE.length}\r\nConnection: close\r\n\r\n`,
          ),
          rest,
        ]),
      );
    });
    const { client: stream } = await client((_r, response) => sendJson(response, 200, {}));
    expect((await drain(stream.download('t1', `${url}/f.jsonl`))).equals(FILE)).toBe(true);
  });

  it('fails a download whose end can never be verified rather than take a part for the whole', async () => {
    const url = await rawServer((socket) => socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), FILE])));
    const { client: stream } = await client((_r, response) => sendJson(response, 200, {}));
    await expect(drain(stream.download('t1', `${url}/f.jsonl`))).rejects.toThrow(/cannot be verified/);
  });

  it('refuses a download URL that is not https (or loopback http) at once, without a request', async () => {
    const { client: stream, server } = await client((_r, response) => sendJson(response, 200, {}));
    for (const url of ['http://files.example.com/x.jsonl', 'file:///etc/passwd', '/relative/x.jsonl', 'ftp://127.0.0.1/x']) {
      const error = await drain(stream.download('t1', url)).catch((caught: unknown) => caught);
      expect(error, url).toBeInstanceOf(SystemError);
      expect(String((error as Error).message)).toMatch(/not https/);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('drops an attempt that trickles below the minimum rate, and fails once no attempt makes headway', async () => {
    const url = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${FILE.length}\r\n\r\n`);
      const timer = setInterval(() => (socket.writable ? socket.write('x') : clearInterval(timer)), 20);
      socket.on('close', () => clearInterval(timer));
    });
    const { client: stream } = await client((_r, response) => sendJson(response, 200, {}), {
      download: { minBytesPerSecond: 1000, rateWindowMs: 100, maxAttemptsWithoutProgress: 3 },
    });
    const started = Date.now();
    const error = await drain(stream.download('t1', `${url}/f.jsonl`)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect(String((error as Error).message)).toMatch(/slower than 1000 bytes\/s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names the status and the Location host of a redirect, which it does not follow', async () => {
    const url = await rawServer((socket) => socket.end('HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example.net/x?sig=1\r\nContent-Length: 0\r\n\r\n'));
    const { client: stream } = await client((_r, response) => sendJson(response, 200, {}));
    await expect(drain(stream.download('t1', `${url}/f.jsonl`))).rejects.toThrow(/HTTP 302 to elsewhere\.example\.net \(redirects are not followed\)/);
  });
});

describe('API answers from a hostile host', () => {
  it('bounds one attempt as a whole, however the answer trickles', async () => {
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      const timer = setInterval(() => (socket.writable ? socket.write(' ') : clearInterval(timer)), 20);
      socket.on('close', () => clearInterval(timer));
    });
    const stream = new StreamApiClient({
      apiKey: 'k',
      apiSecret: 's',
      baseUrl: url,
      timeouts: { requestMs: 200 },
      retry: { limit: 1, baseDelayMs: 1, jitter: 0 },
    });
    cleanups.push(() => stream.close());
    await expect(stream.getTask('t1')).rejects.toThrow(/no complete answer within 0\.2 s/);
  });

  it('refuses an answer far larger than any Stream sends', async () => {
    const { client: stream } = await client((_r, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const piece = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 10; i++) response.write(piece);
      response.end('{}');
    });
    await expect(stream.getTask('t1')).rejects.toThrow(/more than 8 MiB/);
  });

  it('waits out 429s without using up the retries of 5xx', async () => {
    const { client: stream } = await client(
      (_r, response, index) => {
        if (index < 3) return sendJson(response, 429, { code: 9, message: 'Too many requests' }, { 'retry-after': '0' });
        if (index < 7) return sendJson(response, 503, { code: -1, message: 'unavailable' });
        sendJson(response, 200, { task_id: 't1', status: 'pending' });
      },
      { retry: { limit: 4 } },
    );
    await expect(stream.getTask('t1')).resolves.toMatchObject({ status: 'pending' });
  });

  it('bounds rate-limit waits by time, and never logs a reset beyond the wait it will make', async () => {
    const { client: stream, logs } = await client(
      (_r, response, index) => sendJson(response, 429, { code: 9, message: 'slow down' }, { 'retry-after': index % 2 === 0 ? '1e9' : '1000000000' }),
      {
        retry: { maxRateLimitWaitMs: 10, rateLimitBudgetMs: 35 },
      },
    );
    await expect(stream.getTask('t1')).rejects.toBeInstanceOf(TransientError);
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const line of logs) expect(Date.parse(/until (\S+)/.exec(line)?.[1] ?? '') - Date.now()).toBeLessThan(60_000);
  });

  it('says in one line what is wrong with an answer off its shape', async () => {
    const { client: stream } = await client((_r, response) => sendJson(response, 201, { task_id: '' }));
    const error = await stream.exportChannels([{ type: 'messaging', id: 'a' }], EXPORT_OPTIONS).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemError);
    expect(String((error as Error).message)).not.toContain('\n');
    expect(String((error as Error).message)).toMatch(/task_id/);
  });

  it('bounds a task poll by the export timeout, however the poll trickles', async () => {
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      const timer = setInterval(() => (socket.writable ? socket.write(' ') : clearInterval(timer)), 20);
      socket.on('close', () => clearInterval(timer));
    });
    const stream = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: url });
    cleanups.push(() => stream.close());
    const started = Date.now();
    await expect(stream.waitForTask('t1', { pollIntervalMs: 1, timeoutMs: 300 })).rejects.toThrow(/did not finish within/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops a listing that never ends with a clear error', async () => {
    // Fresh channels after whatever instant is asked, without end.
    let n = 0;
    const query = async () =>
      Array.from({ length: 30 }, (): ChannelSummary => {
        n += 1;
        return { cid: `t:c${n}`, type: 't', id: `c${n}`, created_at: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString() };
      });
    const listing = channelListing({ query, userIds: async function* () {} }, { maxListed: 300 });
    await expect(
      (async () => {
        for await (const _channel of listing);
      })(),
    ).rejects.toThrow(/QueryChannels answered 140 pages and the listing still has more, past the 300 channels/);
  });

  it('stops a listing whose answers ignore the instant asked', async () => {
    const query = async (body: QueryChannelsBody) =>
      Array.from({ length: 30 }, (_, index): ChannelSummary => {
        const created = body.offset === 0 ? index : 0;
        return { cid: `t:c${index}`, type: 't', id: `c${index}`, created_at: new Date(Date.UTC(2024, 0, 1) + created * 1000).toISOString() };
      });
    const listing = channelListing({ query, userIds: async function* () {} }, {});
    await expect(
      (async () => {
        for await (const _channel of listing);
      })(),
    ).rejects.toThrow(/not sorted by created_at or outside its filter/);
  });
});
