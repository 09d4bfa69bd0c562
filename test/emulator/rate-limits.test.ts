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
