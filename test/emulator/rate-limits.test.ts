import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, startEmulator, type Emulator } from '../../emulator/index.js';
import { api, manualClock } from './helpers.js';

let emulator: Emulator;
// A fixed clock keeps every request of a test in one one-minute window.
const clock = manualClock(Date.UTC(2026, 4, 4, 10, 0, 15));

beforeAll(async () => {
  emulator = await startEmulator({ channels: 2, messagesPerChannel: 2, now: clock.now });
});

afterAll(async () => {
  await emulator.close();
});

describe('GET /rate_limits', () => {
  it('answers the server side windows of the counted endpoints and empty client platforms', async () => {
    for (let i = 0; i < 3; i++) await api(emulator, 'POST', '/channels', { body: { filter_conditions: {} } });
    const response = await api(emulator, 'GET', '/rate_limits');
    expect(response.status).toBe(200);
    expect(response.headers.get('date')).toBe('Mon, 04 May 2026 10:00:15 GMT');
    expect(response.json).toMatchObject({ android: {}, ios: {}, web: {}, duration: expect.stringMatching(/ms$/) });
    const reset = Date.UTC(2026, 4, 4, 10, 1, 0) / 1000;
    expect(response.json.server_side.QueryChannels).toEqual({ limit: 10_000, remaining: 9_997, reset });
    expect(response.json.server_side.ExportChannels).toEqual({ limit: 60, remaining: 60, reset });
    expect(response.json.server_side.GetRateLimits).toEqual({ limit: 1_000, remaining: 999, reset });
    expect(Object.keys(response.json.server_side)).toEqual(expect.arrayContaining(['ExportUsers', 'ExportUser', 'QueryUsers']));
  });

  it('selects endpoints and platforms', async () => {
    const response = await api(emulator, 'GET', '/rate_limits?server_side=true&endpoints=ExportChannels,GetTask');
    expect(Object.keys(response.json).sort()).toEqual(['duration', 'server_side']);
    expect(Object.keys(response.json.server_side).sort()).toEqual(['ExportChannels', 'GetTask']);
    const web = await api(emulator, 'GET', '/rate_limits?web=true');
    expect(web.json.web).toEqual({});
    expect(web.json).not.toHaveProperty('server_side');
  });

  it('needs the same auth as the other routes, and carries the rate-limit headers', async () => {
    const refused = await api(emulator, 'GET', '/rate_limits', { token: signToken('wrong secret') });
    expect(refused.status).toBe(401);
    expect(refused.json.message).toMatch(/^GetRateLimits failed with error: /);
    expect((await api(emulator, 'GET', '/rate_limits', { apiKey: null })).json.code).toBe(2);
    const answered = await api(emulator, 'GET', '/rate_limits');
    expect(answered.headers.get('x-ratelimit-limit')).toBe('1000');
  });

  it('starts a new window after the minute', async () => {
    clock.advance(60_000);
    const response = await api(emulator, 'GET', '/rate_limits?endpoints=QueryChannels');
    expect(response.json.server_side.QueryChannels).toEqual({ limit: 10_000, remaining: 10_000, reset: Date.UTC(2026, 4, 4, 10, 2, 0) / 1000 });
  });
});

describe('enforced per-second and per-minute limits (stream-export-api.md §8.3–8.4)', () => {
  const start = Date.UTC(2026, 4, 4, 10, 0, 15);

  async function withEmulator(options: Parameters<typeof startEmulator>[0], run: (target: Emulator, advance: (ms: number) => void) => Promise<void>) {
    const local = manualClock(start);
    const target = await startEmulator({ channels: 1, messagesPerChannel: 1, taskLatencyMs: 0, now: local.now, ...options });
    try {
      await run(target, local.advance);
    } finally {
      await target.close();
    }
  }

  const exportBody = { body: { channels: [{ cid: 'messaging:channel-0000' }], version: 'v2' } };

  it('refuses a request past the per-minute limit / 30 within one second of the emulator clock, with Retry-After: 1', async () => {
    await withEmulator({}, async (target, advance) => {
      for (let i = 0; i < 2; i++) expect((await api(target, 'POST', '/export_channels', exportBody)).status).toBe(201);
      const refused = await api(target, 'POST', '/export_channels', exportBody);
      expect(refused.status).toBe(429);
      expect(refused.json).toMatchObject({
        code: 9,
        StatusCode: 429,
        message: 'ExportChannels failed with error: "Too many requests, check response headers for more info"',
      });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(refused.headers.get('x-ratelimit-reset')).toBe(String(start / 1000 + 1));
      // Other endpoints keep their own limits: QueryUsers allows 33 a second.
      const payload = `/users?payload=${encodeURIComponent(JSON.stringify({ filter_conditions: {} }))}`;
      const statuses = [];
      for (let i = 0; i < 34; i++) statuses.push((await api(target, 'GET', payload)).status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(33);
      expect(statuses[33]).toBe(429);
      advance(1_000);
      const next = await api(target, 'POST', '/export_channels', exportBody);
      expect(next.status).toBe(201);
      // The refused requests counted in neither window.
      expect(next.headers.get('x-ratelimit-remaining')).toBe('57');
      expect(target.stats().rateLimited).toEqual({
        perSecond: 2,
        perMinute: 0,
        byEndpoint: { ExportChannels: { perSecond: 1, perMinute: 0 }, QueryUsers: { perSecond: 1, perMinute: 0 } },
      });
    });
  });

  it('refuses a request past the per-minute limit until the minute ends', async () => {
    await withEmulator({}, async (target, advance) => {
      for (let i = 0; i < 60; i++) {
        expect((await api(target, 'GET', '/users/user-0000/export')).status).toBe(200);
        if (i % 2 === 1) advance(1_000);
      }
      const refused = await api(target, 'GET', '/users/user-0000/export'); // at 10:00:45
      expect(refused.status).toBe(429);
      expect(refused.json.code).toBe(9);
      expect(refused.headers.get('retry-after')).toBe('15');
      expect(refused.headers.get('x-ratelimit-limit')).toBe('60');
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(refused.headers.get('x-ratelimit-reset')).toBe(String(Date.UTC(2026, 4, 4, 10, 1, 0) / 1000));
      advance(15_000);
      expect((await api(target, 'GET', '/users/user-0000/export')).status).toBe(200);
      expect(target.stats().rateLimited).toMatchObject({ perSecond: 0, perMinute: 1 });
    });
  });

  it('enforces neither when switched off', async () => {
    await withEmulator({ rateLimits: { perSecond: false, perMinute: false } }, async (target) => {
      for (let i = 0; i < 65; i++) expect((await api(target, 'GET', '/users/user-0000/export')).status).toBe(200);
      const last = await api(target, 'GET', '/users/user-0000/export');
      expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(target.stats().rateLimited).toEqual({ perSecond: 0, perMinute: 0, byEndpoint: {} });
    });
  });
});
