import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, SystemError, TransientError } from '../../src/errors.js';
import type { RateLimitWait, StreamApiClientOptions } from '../../src/stream-api/client.js';
import { StreamApiClient } from '../../src/stream-api/client.js';
import { CONNECTOR_VERSION } from '../../src/version.js';
import type { Handler, LoopbackServer } from './loopback-server.js';
import { sendJson, startServer, until } from './loopback-server.js';

const API_KEY = 'key-123';
const API_SECRET = 'secret-456';
const EXPORT_OPTIONS = { version: 'v2', include_truncated_messages: false, include_soft_deleted_channels: false } as const;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function setup(handler: Handler, options: Partial<StreamApiClientOptions> = {}): Promise<{ server: LoopbackServer; client: StreamApiClient }> {
  const server = await startServer(handler);
  const client = new StreamApiClient({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    baseUrl: server.url,
    ...options,
    retry: { baseDelayMs: 5, maxDelayMs: 20, jitter: 0, ...options.retry },
  });
  cleanups.push(
    () => client.close(),
    () => server.close(),
  );
  return { server, client };
}

function streamError(code: number, message: string, status: number): object {
  return { code, message, StatusCode: status, duration: '0.00ms', more_info: 'https://getstream.io/chat/docs/api_errors_response' };
}

const task = { task_id: 't1', status: 'waiting', created_at: '2025-01-23T13:05:35.310709Z', updated_at: '2025-01-23T13:05:35.310709Z', duration: '1.0ms' };

describe('API requests', () => {
  it('carry exactly the Stream auth headers, the api_key and a server token', async () => {
    const { server, client } = await setup((_request, response) => sendJson(response, 200, task));
    await client.getTask('t1');
    await client.getTask('t1');

    const [first, second] = server.requests;
    expect(first?.method).toBe('GET');
    expect(first?.url.pathname).toBe('/tasks/t1');
    expect([...(first?.url.searchParams ?? [])]).toEqual([['api_key', API_KEY]]);
    expect(first?.headers).toMatchObject({
      authorization: expect.not.stringMatching(/^Bearer/) as string,
      'stream-auth-type': 'jwt',
      'x-stream-client': `source-stream-chat-v${CONNECTOR_VERSION}`,
      accept: 'application/json',
    });
    expect(first?.headers['content-type']).toBeUndefined();
    expect(first?.headerNames).toEqual(['host', 'connection', 'authorization', 'stream-auth-type', 'x-stream-client', 'accept']);

    const token = first?.headers.authorization ?? '';
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(API_SECRET));
    expect(payload).toEqual({ server: true });
    expect(second?.headers.authorization).toBe(token);
  });

  it('send a JSON body with its content type on POST', async () => {
    const { server, client } = await setup((_request, response) => sendJson(response, 201, { task_id: 'task-9', duration: '1ms' }));
    const taskId = await client.exportChannels(
      [
        { type: 'messaging', id: 'a', messages_since: '2025-01-01T00:00:00Z' },
        { type: 'team', id: 'b' },
      ],
      EXPORT_OPTIONS,
    );

    expect(taskId).toBe('task-9');
    const [request] = server.requests;
    expect(request?.url.pathname).toBe('/export_channels');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headerNames).toEqual([
      'host',
      'connection',
      'authorization',
      'stream-auth-type',
      'x-stream-client',
      'accept',
      'content-type',
      'content-length',
    ]);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      channels: [
        { type: 'messaging', id: 'a', messages_since: '2025-01-01T00:00:00Z' },
        { type: 'team', id: 'b' },
      ],
      version: 'v2',
      include_truncated_messages: false,
      include_soft_deleted_channels: false,
    });
  });

  it('list users by query users: keyset on id, updated_at window, deactivated users included, 100 a page, to an empty page', async () => {
    const users = (from: number, count: number) => Array.from({ length: count }, (_, index) => ({ id: `u${String(from + index).padStart(3, '0')}` }));
    const answers = [users(0, 100), users(100, 20), users(120, 5), []];
    const { server, client } = await setup((_request, response, index) => sendJson(response, 200, { users: answers[index] ?? [], duration: '1ms' }));
    const pages: number[] = [];
    for await (const page of client.listUsers({ after: '2025-01-01T00:00:00Z', upTo: '2025-02-01T00:00:00Z' })) pages.push(page.length);
    expect(pages).toEqual([100, 20, 5]);
    const payloads = server.requests.map((request) => JSON.parse(request.url.searchParams.get('payload') ?? '') as Record<string, unknown>);
    expect(server.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual(Array.from({ length: 4 }, () => 'GET /users'));
    const window = { $gt: '2025-01-01T00:00:00Z', $lte: '2025-02-01T00:00:00Z' };
    expect(payloads[0]).toEqual({
      filter_conditions: { updated_at: window },
      sort: [{ field: 'id', direction: 1 }],
      limit: 100,
      include_deactivated_users: true,
      presence: false,
    });
    expect(payloads[1]).toMatchObject({ filter_conditions: { updated_at: window, id: { $gt: 'u099' } } });
    expect(payloads[3]).toMatchObject({ filter_conditions: { updated_at: window, id: { $gt: 'u124' } } });
  });

  it('list users in the order Stream gives them, failing only on a page that does not move on', async () => {
    const answers = [[{ id: 'User-000-b' }, { id: 'user_055' }], [{ id: 'Ada.3' }], [{ id: 'Ada.3' }]];
    const { client } = await setup((_request, response, index) => sendJson(response, 200, { users: answers[index] ?? [], duration: '1ms' }));
    const seen: string[] = [];
    const listing = (async () => {
      for await (const page of client.listUsers({})) seen.push(...page.map((user) => user.id));
    })();
    await expect(listing).rejects.toThrow(/answered user Ada.3 again/);
    expect(seen).toEqual(['User-000-b', 'user_055', 'Ada.3']);
  });

  it('look users up by id, 100 at most, asking again those an answer left out until one is empty, asking nothing for none', async () => {
    const answers = [[{ id: 'u1' }], [{ id: 'u3' }], []];
    const { server, client } = await setup((_request, response, index) => sendJson(response, 200, { users: answers[index] ?? [], duration: '1ms' }));
    expect(await client.knownUserIds(['u1', 'u2', 'u3'])).toEqual(new Set(['u1', 'u3']));
    const asked = server.requests.map((request) => JSON.parse(request.url.searchParams.get('payload') ?? '') as { filter_conditions: unknown });
    expect(asked.map((payload) => payload.filter_conditions)).toEqual([
      { id: { $in: ['u1', 'u2', 'u3'] } },
      { id: { $in: ['u2', 'u3'] } },
      { id: { $in: ['u2'] } },
    ]);
    expect(await client.knownUserIds([])).toEqual(new Set());
    await expect(client.knownUserIds(Array.from({ length: 101 }, (_, index) => `u${index}`))).rejects.toBeInstanceOf(SystemError);
    expect(server.requests).toHaveLength(3);
  });

  it('refuse export batches over 100 channels without calling Stream', async () => {
    const { server, client } = await setup((_request, response) => sendJson(response, 201, { task_id: 'x' }));
    const channels = Array.from({ length: 101 }, (_, index) => ({ type: 'messaging', id: `c${index}` }));
    await expect(client.exportChannels(channels, EXPORT_OPTIONS)).rejects.toBeInstanceOf(SystemError);
    await expect(client.exportChannels([], EXPORT_OPTIONS)).rejects.toBeInstanceOf(SystemError);
    expect(server.requests).toHaveLength(0);
  });

  it('keep the base URL path prefix', async () => {
    const server = await startServer((_request, response) => sendJson(response, 200, task));
    const client = new StreamApiClient({ apiKey: API_KEY, apiSecret: API_SECRET, baseUrl: `${server.url}/prefix/` });
    cleanups.push(
      () => client.close(),
      () => server.close(),
    );
    await client.getTask('a/b');
    expect(server.requests[0]?.url.pathname).toBe('/prefix/tasks/a%2Fb');
  });
});

describe('retries', () => {
  it('wait until X-RateLimit-Reset after a plain-text 429, telling onRateLimit first', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const now = Date.UTC(2025, 0, 23, 13, 5, 0);
    vi.setSystemTime(now);
    const waits: RateLimitWait[] = [];
    const logs: string[] = [];
    const { server, client } = await setup(
      (_request, response, index) => {
        if (index === 0) {
          response.writeHead(429, { 'content-type': 'text/plain', 'x-ratelimit-reset': `${now / 1000 + 20}, ${now / 1000 + 20}` });
          response.end('Too Many Requests');
          return;
        }
        sendJson(response, 201, { task_id: 'after-limit', duration: '1ms' });
      },
      {
        onRateLimit: (wait) => void waits.push(wait),
        onLog: (_level, message) => void logs.push(message),
        retry: { baseDelayMs: 5, maxRateLimitWaitMs: 90_000 },
      },
    );

    const created = client.exportChannels([{ type: 'messaging', id: 'a' }], EXPORT_OPTIONS);
    await until(() => waits.length === 1);
    expect(waits[0]).toEqual({ endpoint: 'ExportChannels', waitMs: 20_000, resetAt: new Date(now + 20_000), reason: 'rate-limit' });
    expect(logs.some((line) => line.includes('rate limited'))).toBe(true);

    await vi.advanceTimersByTimeAsync(19_990);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(await created).toBe('after-limit');
    expect(server.requests).toHaveLength(2);
  });

  it('wait for Retry-After when Stream sends it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const waits: RateLimitWait[] = [];
    const { server, client } = await setup(
      (_request, response, index) => {
        if (index === 0) return sendJson(response, 429, streamError(9, 'Too many requests', 429), { 'retry-after': '7' });
        sendJson(response, 200, task);
      },
      { onRateLimit: (wait) => void waits.push(wait) },
    );
    const polled = client.getTask('t1');
    await until(() => waits.length === 1);
    expect(waits[0]?.waitMs).toBe(7_000);
    await vi.advanceTimersByTimeAsync(6_999);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await polled).task_id).toBe('t1');
  });

  it('cap a rate-limit wait at maxRateLimitWaitMs', async () => {
    const waits: RateLimitWait[] = [];
    const { client } = await setup(
      (_request, response, index) => {
        if (index === 0)
          return sendJson(response, 429, streamError(9, 'slow down', 429), { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) });
        sendJson(response, 200, task);
      },
      { onRateLimit: (wait) => void waits.push(wait), retry: { maxRateLimitWaitMs: 30 } },
    );
    await client.getTask('t1');
    expect(waits[0]?.waitMs).toBe(30);
  });

  it('back off exponentially between 5xx answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { server, client } = await setup(
      (_request, response, index) => {
        if (index < 3) {
          response.writeHead(502, { 'content-type': 'text/html' });
          response.end('<html><body>Bad Gateway</body></html>');
          return;
        }
        sendJson(response, 200, task);
      },
      { retry: { baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 } },
    );
    const polled = client.getTask('t1');
    await until(() => server.requests.length === 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => server.requests.length === 2);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(server.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => server.requests.length === 3);
    await vi.advanceTimersByTimeAsync(4_000);
    expect((await polled).task_id).toBe('t1');
    expect(server.requests).toHaveLength(4);
  });

  it('retry a 500 then succeed', async () => {
    const logs: string[] = [];
    const { server, client } = await setup(
      (_request, response, index) => (index === 0 ? sendJson(response, 500, streamError(-1, 'internal', 500)) : sendJson(response, 200, task)),
      { onLog: (level, message) => void logs.push(`${level} ${message}`) },
    );
    expect((await client.getTask('t1')).status).toBe('waiting');
    expect(server.requests).toHaveLength(2);
    expect(logs).toEqual([expect.stringMatching(/^WARN GetTask failed \(HTTP 500\); retry 1\/5/)]);
  });

  it('retry after the connection is reset', async () => {
    const { server, client } = await setup((_request, response, index) => {
      if (index === 0) return void response.socket?.destroy();
      sendJson(response, 200, task);
    });
    expect((await client.getTask('t1')).task_id).toBe('t1');
    expect(server.requests).toHaveLength(2);
  });

  it('retry an export POST whose fate is unknown, and use the task id it finally gets', async () => {
    const { server, client } = await setup((_request, response, index) => {
      if (index === 0) return void response.socket?.destroy();
      if (index === 1) return sendJson(response, 503, streamError(-1, 'unavailable', 503));
      sendJson(response, 201, { task_id: `task-${index}`, duration: '1ms' });
    });
    expect(await client.exportChannels([{ type: 'messaging', id: 'a' }], EXPORT_OPTIONS)).toBe('task-2');
    expect(server.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'POST']);
    expect(new Set(server.requests.map((request) => request.body)).size).toBe(1);
  });

  it('do not retry POST when the policy leaves it out', async () => {
    const { server, client } = await setup((_request, response) => sendJson(response, 500, streamError(-1, 'internal', 500)), {
      retry: { methods: ['GET'] },
    });
    const error = await client.exportChannels([{ type: 'messaging', id: 'a' }], EXPORT_OPTIONS).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect(server.requests).toHaveLength(1);
  });

  it('give up with a TransientError once the retries are spent', async () => {
    const { server, client } = await setup(
      (_request, response) => {
        response.writeHead(503, { 'content-type': 'text/html' });
        response.end('<html>Service Unavailable</html>');
      },
      { retry: { limit: 2 } },
    );
    const error = await client.getTask('t1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).context).toMatchObject({ endpoint: 'GetTask', status: 503, taskId: 't1', attempts: 3 });
    expect((error as TransientError).message).toContain('Service Unavailable');
    expect(server.requests).toHaveLength(3);
  });

  it('give up on an unreachable host with a TransientError carrying the network cause', async () => {
    const server = await startServer(() => undefined);
    await server.close();
    const client = new StreamApiClient({ apiKey: API_KEY, apiSecret: API_SECRET, baseUrl: server.url, retry: { limit: 1, baseDelayMs: 1, jitter: 0 } });
    cleanups.push(() => client.close());
    const error = await client.getTask('t1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).message).toContain('ECONNREFUSED');
    expect((error as TransientError).cause).toBeDefined();
  });

  it('stop waiting out a rate limit as soon as the signal aborts', async () => {
    const { server, client } = await setup((_request, response) => sendJson(response, 429, streamError(9, 'limit', 429), { 'retry-after': '60' }), {
      retry: { maxRateLimitWaitMs: 60_000 },
    });
    const controller = new AbortController();
    const polled = client.getTask('t1', controller.signal);
    await until(() => server.requests.length === 1);
    const started = performance.now();
    controller.abort(new Error('stop'));
    await expect(polled).rejects.toThrow('stop');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('failures', () => {
  it('a bad signature (code 43) is a ConfigError that says to check api_secret, not retried', async () => {
    const message = 'JWTAuth error: signature is not valid. Make sure the token is created using the secret for API key "key-123"';
    const { server, client } = await setup((_request, response) => sendJson(response, 401, streamError(43, message, 401)));
    const error = await client.checkAuth().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('check api_secret');
    expect((error as ConfigError).message).toContain(message);
    expect(server.requests).toHaveLength(1);
  });

  it('an unknown api_key (code 2) is a ConfigError that says to check api_key', async () => {
    const { client } = await setup((_request, response) =>
      sendJson(response, 401, streamError(2, 'QueryChannels failed with error: "api_key not valid"', 401)),
    );
    const error = await client.checkAuth().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('check api_key');
  });

  it('checkAuth passes with valid credentials through one cheap query', async () => {
    const { server, client } = await setup((_request, response) => sendJson(response, 201, { channels: [], duration: '1ms' }));
    await client.checkAuth();
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ limit: 1, state: false, watch: false, presence: false });
  });

  it("a channel Stream can't find is a ConfigError naming it", async () => {
    const { client } = await setup((_request, response) =>
      sendJson(response, 400, streamError(4, 'ExportChannels failed with error: "Can\'t find channel messaging:ghost"', 400)),
    );
    const error = await client
      .exportChannels(
        [
          { type: 'messaging', id: 'real' },
          { type: 'messaging', id: 'ghost' },
        ],
        EXPORT_OPTIONS,
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('channel messaging:ghost:');
    expect((error as ConfigError).context.cids).toEqual(['messaging:real', 'messaging:ghost']);
  });

  it('an unknown task is a SystemError carrying Stream message and the task id', async () => {
    const { client } = await setup((_request, response) =>
      sendJson(response, 404, streamError(16, 'GetTask failed with error: "Can\'t find task with id "nope""', 404)),
    );
    const error = await client.getTask('nope').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemError);
    expect((error as SystemError).message).toContain("Can't find task");
    expect((error as SystemError).context).toMatchObject({ taskId: 'nope', code: 16, status: 404 });
  });

  it('a success body that is not JSON is a SystemError', async () => {
    const { client } = await setup((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>captive portal</html>');
    });
    await expect(client.getTask('t1')).rejects.toBeInstanceOf(SystemError);
  });
});
