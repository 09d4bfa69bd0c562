import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api, download, sleep, waitForTask } from './helpers.js';

let emulator: Emulator;
const BODY = { channels: [{ cid: 'messaging:channel-0000' }], version: 'v2' };

beforeAll(async () => {
  // Exports requested several a second (ExportChannels allows 2): the enforced per-second limits would
  // mix their 429s with the faults' (rate-limits.test.ts has them).
  emulator = await startEmulator({ channels: 1, messagesPerChannel: 200, taskLatencyMs: 0, rateLimits: { perSecond: false } });
});

afterEach(() => emulator.faults.reset());

afterAll(async () => {
  await emulator.close();
});

async function completedUrl(): Promise<string> {
  const created = await api(emulator, 'POST', '/export_channels', { body: BODY });
  return (await waitForTask(emulator, created.json.task_id as string)).result.url as string;
}

interface RawDownload {
  status: number;
  contentLength: number;
  transferEncoding?: string;
  contentRange?: string;
  received: number;
  aborted: boolean;
}

/** Reads a download with node:http to see how many body bytes arrive before the connection ends. */
function rawDownload(url: string, headers: Record<string, string> = {}): Promise<RawDownload> {
  return new Promise((resolve) => {
    request(url, { headers }, (res) => {
      let received = 0;
      let aborted = false;
      res.on('data', (chunk: Buffer) => (received += chunk.length));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentLength: Number(res.headers['content-length']),
          transferEncoding: res.headers['transfer-encoding'],
          contentRange: res.headers['content-range'],
          received,
          aborted: aborted || !res.complete,
        }),
      );
    }).end();
  });
}

describe('faults', () => {
  it('rateLimit answers 429 with a plain-text body when asked, and X-RateLimit-Reset, counting down', async () => {
    emulator.faults.rateLimit({ count: 2, resetInSeconds: 30, body: 'text' });
    const before = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 2; i++) {
      const response = await api(emulator, 'GET', '/tasks/x');
      expect(response.status).toBe(429);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(() => JSON.parse(response.text)).toThrow();
      expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(before + 30);
    }
    expect((await api(emulator, 'GET', '/tasks/x')).status).toBe(404);
    expect(emulator.stats().faultsFired.rateLimit).toBeGreaterThanOrEqual(2);
  });

  it('rateLimit answers Stream’s JSON code 9 by default, targets endpoints, and adds Retry-After when asked', async () => {
    emulator.faults.rateLimit({ count: 1, endpoints: ['ExportChannels'], retryAfterSeconds: 7 });
    expect((await api(emulator, 'GET', '/tasks/x')).status).toBe(404);
    const limited = await api(emulator, 'POST', '/export_channels', { body: BODY });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
    expect(limited.json).toMatchObject({
      code: 9,
      StatusCode: 429,
      message: 'ExportChannels failed with error: "Too many requests, check response headers for more info"',
      more_info: expect.any(String),
      details: [],
    });
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    emulator.faults.rateLimit({ count: 1 });
    expect((await api(emulator, 'GET', '/tasks/x')).headers.get('retry-after')).toBeNull();
  });

  it('serverErrors answers a burst of 5xx, then recovers', async () => {
    emulator.faults.serverErrors({ count: 2, status: 503 });
    expect((await api(emulator, 'GET', '/tasks/x')).status).toBe(503);
    expect((await api(emulator, 'GET', '/tasks/x')).status).toBe(503);
    expect((await api(emulator, 'GET', '/tasks/x')).status).toBe(404);
    emulator.faults.serverErrors({ count: 1 });
    const internal = await api(emulator, 'GET', '/tasks/x');
    expect(internal.status).toBe(500);
    expect(internal.json.code).toBe(-1);
  });

  it('cutDownload destroys the connection after the given bytes, once per count', async () => {
    const url = await completedUrl();
    emulator.faults.cutDownload({ afterBytes: 1000, count: 1 });
    const cut = await rawDownload(url);
    expect(cut.received).toBe(1000);
    expect(cut.contentLength).toBeGreaterThan(1000);
    expect(cut.aborted).toBe(true);
    const whole = await rawDownload(url);
    expect(whole.received).toBe(whole.contentLength);
    expect(whole.aborted).toBe(false);
  });

  it('expireUrls answers the next downloads 403 as if expired', async () => {
    const url = await completedUrl();
    emulator.faults.expireUrls({ count: 1 });
    const refused = await download(url);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('Request has expired');
    expect((await download(url)).status).toBe(200);
  });

  it('failTasks ends the next tasks failed with an error and no result', async () => {
    emulator.faults.failTasks({ count: 1 });
    const failed = await waitForTask(emulator, (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ type: expect.any(String), description: expect.any(String) });
    expect(failed).not.toHaveProperty('result');
    const next = await waitForTask(emulator, (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string);
    expect(next.status).toBe('completed');
    expect(next).not.toHaveProperty('error');
  });

  it('slowTasks delays completion until switched off', async () => {
    emulator.faults.slowTasks(400);
    const started = Date.now();
    const slow = (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string;
    expect((await api(emulator, 'GET', `/tasks/${slow}`)).json.status).not.toBe('completed');
    await waitForTask(emulator, slow);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    emulator.faults.slowTasks(0);
    const fast = (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string;
    const startedFast = Date.now();
    await waitForTask(emulator, fast);
    expect(Date.now() - startedFast).toBeLessThan(400);
  });

  it('unknownTaskStatus makes the next tasks report that status forever, on both status routes', async () => {
    const fired = emulator.stats().faultsFired.unknownTaskStatus;
    emulator.faults.unknownTaskStatus({ count: 1 });
    const stuck = (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string;
    emulator.faults.unknownTaskStatus({ count: 1, status: 'processing' });
    const users = (await api(emulator, 'POST', '/export/users', { body: { user_ids: ['user-0000'] } })).json.task_id as string;
    await sleep(50);
    for (let poll = 0; poll < 3; poll++) {
      const task = (await api(emulator, 'GET', `/tasks/${stuck}`)).json;
      expect(task).toMatchObject({ task_id: stuck, status: 'queued' });
      expect(task).not.toHaveProperty('result');
      expect((await api(emulator, 'GET', `/export_channels/${stuck}`)).json.status).toBe('queued');
      expect((await api(emulator, 'GET', `/tasks/${users}`)).json.status).toBe('processing');
    }
    expect(emulator.stats().faultsFired.unknownTaskStatus).toBe(fired + 2);
    expect((await waitForTask(emulator, (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string)).status).toBe('completed');
  });

  it('truncateLastLine serves the next channel export cut in the middle of its last line, with a matching length', async () => {
    const whole = await download(await completedUrl());
    emulator.faults.truncateLastLine();
    const url = await completedUrl();
    const cut = await download(url);
    const lastLineStart = whole.text.lastIndexOf('\n', whole.text.length - 2) + 1;
    const lastLine = whole.text.slice(lastLineStart, -1);
    expect(cut.text.startsWith(whole.text.slice(0, lastLineStart))).toBe(true);
    expect(cut.text.endsWith('\n')).toBe(false);
    const tail = cut.text.slice(lastLineStart);
    expect(lastLine.startsWith(tail)).toBe(true);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.length).toBeLessThan(lastLine.length);
    expect(() => JSON.parse(tail) as unknown).toThrow();
    expect(Number(cut.headers.get('content-length'))).toBe(cut.bytes.length);
    const end = await download(url, { range: 'bytes=-20' });
    expect(end.status).toBe(206);
    expect(end.headers.get('content-range')).toBe(`bytes ${cut.bytes.length - 20}-${cut.bytes.length - 1}/${cut.bytes.length}`);
    expect(end.bytes.equals(cut.bytes.subarray(-20))).toBe(true);
    expect((await download(await completedUrl())).text).toBe(whole.text);
  });

  it('chunkedDownloads serves the next downloads chunked, without Content-Length, and complete', async () => {
    const url = await completedUrl();
    const size = Number((await fetch(url, { method: 'HEAD' })).headers.get('content-length'));
    emulator.faults.chunkedDownloads({ count: 2 });
    const chunked = await rawDownload(url);
    expect(chunked).toMatchObject({ status: 200, transferEncoding: 'chunked', received: size, aborted: false });
    expect(chunked.contentLength).toBeNaN();
    const ranged = await rawDownload(url, { range: 'bytes=100-' });
    expect(ranged).toMatchObject({ status: 206, transferEncoding: 'chunked', received: size - 100, contentRange: `bytes 100-${size - 1}/${size}` });
    expect(await rawDownload(url)).toMatchObject({ status: 200, contentLength: size, transferEncoding: undefined });
  });

  it('chunkedDownloads with ignoreRange answers a Range request 200 with the whole file', async () => {
    const url = await completedUrl();
    const whole = await download(url);
    emulator.faults.chunkedDownloads({ count: 1, ignoreRange: true });
    const ignored = await download(url, { range: 'bytes=100-199' });
    expect(ignored.status).toBe(200);
    expect(ignored.headers.get('content-range')).toBeNull();
    expect(ignored.headers.get('content-length')).toBeNull();
    expect(ignored.bytes.equals(whole.bytes)).toBe(true);
    expect((await download(url, { range: 'bytes=100-199' })).status).toBe(206);
  });

  it('reset switches every fault off', async () => {
    emulator.faults.rateLimit({ count: 5 });
    emulator.faults.serverErrors({ count: 5 });
    emulator.faults.failTasks({ count: 5 });
    emulator.faults.unknownTaskStatus({ count: 5 });
    emulator.faults.truncateLastLine({ count: 5 });
    emulator.faults.chunkedDownloads({ count: 5 });
    emulator.faults.reset();
    const task = await waitForTask(emulator, (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string);
    expect(task.status).toBe('completed');
    const file = await download(task.result.url as string);
    expect(file.text.endsWith('\n')).toBe(true);
    expect(Number(file.headers.get('content-length'))).toBe(file.bytes.length);
  });
});
