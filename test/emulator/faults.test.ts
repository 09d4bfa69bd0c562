import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api, download, waitForTask } from './helpers.js';

let emulator: Emulator;
const BODY = { channels: [{ cid: 'messaging:channel-0000' }], version: 'v2' };

beforeAll(async () => {
  emulator = await startEmulator({ channels: 1, messagesPerChannel: 200, taskLatencyMs: 0 });
});

afterEach(() => emulator.faults.reset());

afterAll(async () => {
  await emulator.close();
});

async function completedUrl(): Promise<string> {
  const created = await api(emulator, 'POST', '/export_channels', { body: BODY });
  return (await waitForTask(emulator, created.json.task_id as string)).result.url as string;
}

/** Reads a download with node:http to see how many body bytes arrive before the connection ends. */
function rawDownload(url: string): Promise<{ contentLength: number; received: number; aborted: boolean }> {
  return new Promise((resolve) => {
    request(url, (res) => {
      let received = 0;
      let aborted = false;
      res.on('data', (chunk: Buffer) => (received += chunk.length));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () => resolve({ contentLength: Number(res.headers['content-length']), received, aborted }));
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

  it('reset switches every fault off', async () => {
    emulator.faults.rateLimit({ count: 5 });
    emulator.faults.serverErrors({ count: 5 });
    emulator.faults.failTasks({ count: 5 });
    emulator.faults.reset();
    const task = await waitForTask(emulator, (await api(emulator, 'POST', '/export_channels', { body: BODY })).json.task_id as string);
    expect(task.status).toBe('completed');
  });
});
