import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange } from '../../emulator/download-server.js';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api, download, manualClock, waitForTask } from './helpers.js';

const clock = manualClock();
let emulator: Emulator;
let url: string;
let whole: Buffer;

beforeAll(async () => {
  emulator = await startEmulator({ channels: 2, messagesPerChannel: 50, taskLatencyMs: 0, urlTtlMs: 60_000, now: clock.now });
  const created = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: 'messaging:channel-0000' }], version: 'v2' } });
  url = (await waitForTask(emulator, created.json.task_id as string)).result.url as string;
  whole = (await download(url)).bytes;
});

afterAll(async () => {
  await emulator.close();
});

describe('the download server', () => {
  it('serves the file on its own port with Content-Length, without Stream credentials', async () => {
    expect(url.startsWith(`${emulator.downloadUrl}/`)).toBe(true);
    const file = await download(url);
    expect(file.status).toBe(200);
    expect(Number(file.headers.get('content-length'))).toBe(whole.length);
    expect(file.headers.get('accept-ranges')).toBe('bytes');
    const last = emulator.downloadRequests().at(-1);
    expect(last?.status).toBe(200);
    expect(last?.headers).not.toHaveProperty('authorization');
    expect(last?.url).not.toContain('api_key');
  });

  it('records the headers each download carried', async () => {
    await download(url, { authorization: 'leaked-token' });
    expect(emulator.downloadRequests().at(-1)?.headers.authorization).toBe('leaked-token');
  });

  it('answers Range: bytes=N- with 206 and the rest of the file', async () => {
    const part = await download(url, { range: 'bytes=100-' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-${whole.length - 1}/${whole.length}`);
    expect(Number(part.headers.get('content-length'))).toBe(whole.length - 100);
    expect(part.bytes.equals(whole.subarray(100))).toBe(true);
  });

  it('answers a range past the end with 416', async () => {
    const response = await download(url, { range: `bytes=${whole.length}-` });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('refuses a tampered signature with an S3-style 403', async () => {
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    const response = await download(tampered);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/xml');
    expect(response.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses an expired URL, while a freshly polled one works', async () => {
    const taskId = url.split('/').at(-2) as string;
    clock.advance(61_000);
    const expired = await download(url);
    expect(expired.status).toBe(403);
    expect(expired.text).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
    const fresh = (await api(emulator, 'GET', `/tasks/${taskId}`)).json.result.url as string;
    expect((await download(fresh)).bytes.equals(whole)).toBe(true);
    url = fresh;
  });
});

describe('parseRange', () => {
  it('reads open, closed and suffix ranges, and ignores what it does not support', () => {
    expect(parseRange('bytes=10-', 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
    expect(parseRange('bytes=10-500', 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange('bytes=-30', 100)).toEqual({ start: 70, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange(undefined, 100)).toBeUndefined();
  });
});
