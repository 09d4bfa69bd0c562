import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, startEmulator, type Emulator } from '../../emulator/index.js';
import { api } from './helpers.js';

let emulator: Emulator;
const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  emulator = await startEmulator({ channels: 1, messagesPerChannel: 1 });
});

afterAll(async () => {
  await emulator.close();
});

const QUERY = `/users?payload=${encodeURIComponent(JSON.stringify({ filter_conditions: {} }))}`;

describe('auth', () => {
  it('accepts the SDK server token, raw or after Bearer, with extra claims', async () => {
    for (const token of [
      signToken(emulator.apiSecret),
      `Bearer ${signToken(emulator.apiSecret)}`,
      signToken(emulator.apiSecret, { server: true, iat: nowSeconds() - 5, iss: 'Stream Chat Java SDK', sub: 'Stream Chat Java SDK', scope: 'admins' }),
    ]) {
      expect((await api(emulator, 'GET', QUERY, { token })).status).toBe(200);
    }
  });

  it('answers a missing or wrong api_key with 401, code 2', async () => {
    for (const apiKey of [null, 'other-key']) {
      const response = await api(emulator, 'GET', QUERY, { apiKey });
      expect(response.status).toBe(401);
      expect(response.json).toMatchObject({ code: 2, StatusCode: 401 });
    }
  });

  it('answers a missing or wrong stream-auth-type with 401, code 5', async () => {
    for (const authType of [null, 'anonymous']) {
      const response = await api(emulator, 'GET', QUERY, { authType });
      expect(response.status).toBe(401);
      expect(response.json.code).toBe(5);
      expect(response.json.message).toBe('QueryUsers failed with error: "stream-auth-type missing or invalid"');
    }
  });

  it('answers a token signed with another secret with 401, code 43', async () => {
    const response = await api(emulator, 'GET', QUERY, { token: signToken('wrong-secret') });
    expect(response.status).toBe(401);
    expect(response.json.code).toBe(43);
    expect(response.json.message).toContain('signature is not valid');
  });

  it('answers a missing or malformed token with 401, code 5', async () => {
    for (const token of [null, 'not-a-jwt']) {
      const response = await api(emulator, 'GET', QUERY, { token });
      expect(response.status).toBe(401);
      expect(response.json.code).toBe(5);
    }
  });

  it('checks exp, nbf and iat against the clock', async () => {
    const cases = [
      [{ server: true, exp: nowSeconds() - 10 }, 40],
      [{ server: true, nbf: nowSeconds() + 600 }, 41],
      [{ server: true, iat: nowSeconds() + 600 }, 42],
    ] as const;
    for (const [payload, code] of cases) {
      expect((await api(emulator, 'GET', QUERY, { token: signToken(emulator.apiSecret, payload) })).json.code).toBe(code);
    }
  });

  it('refuses user tokens on export endpoints with 403, code 17, but lets them query', async () => {
    const token = signToken(emulator.apiSecret, { user_id: 'user-0001' });
    const response = await api(emulator, 'POST', '/export_channels', { token, body: { channels: [{ cid: 'messaging:channel-0000' }] } });
    expect(response.status).toBe(403);
    expect(response.json.code).toBe(17);
    expect((await api(emulator, 'GET', '/tasks/x', { token })).json.code).toBe(17);
    expect((await api(emulator, 'GET', QUERY, { token })).status).toBe(200);
  });

  it('puts the error body fields Stream documents on every error', async () => {
    const response = await api(emulator, 'GET', QUERY, { apiKey: null });
    expect(Object.keys(response.json).sort()).toEqual(['StatusCode', 'code', 'details', 'duration', 'message', 'more_info']);
    expect(response.json.more_info).toBe('https://getstream.io/chat/docs/api_errors_response');
  });

  it('sends X-RateLimit headers on every response, successful or not', async () => {
    for (const request of [{}, { apiKey: null }]) {
      const response = await api(emulator, 'GET', QUERY, request);
      expect(Number(response.headers.get('x-ratelimit-limit'))).toBe(1000);
      expect(Number(response.headers.get('x-ratelimit-remaining'))).toBeLessThan(1000);
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThan(nowSeconds());
      expect(reset).toBeLessThanOrEqual(nowSeconds() + 60);
    }
  });
});
