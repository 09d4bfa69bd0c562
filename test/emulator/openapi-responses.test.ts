// The emulator's answers validate against the response schemas of Stream's OpenAPI spec (v236),
// required properties included: query channels (with and without state), query users, export
// channels and users, tasks in every status, rate limits, and every error body.
import { afterEach, describe, expect, it } from 'vitest';
import { signToken, startEmulator, type CustomData, type Emulator, type EmulatorOptions } from '../../emulator/index.js';
import { openApiProblems } from '../helpers/stream-openapi.js';
import { api, sleep, type ApiResponse } from './helpers.js';

const started: Emulator[] = [];

async function emulatorWith(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator({ seed: 5, channels: 6, messagesPerChannel: 30, usersCount: 12, taskLatencyMs: 40, ...options });
  started.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
});

function expectValid(schema: string, response: ApiResponse, shape: CustomData = 'nested'): void {
  expect(openApiProblems(schema, response.json, shape), response.text.slice(0, 2000)).toEqual([]);
}

const queryChannels = (emulator: Emulator, body: Record<string, unknown>) =>
  api(emulator, 'POST', '/channels', { body: { filter_conditions: {}, sort: [{ field: 'created_at', direction: 1 }], limit: 30, ...body } });

const queryUsers = (emulator: Emulator, payload: Record<string, unknown>) =>
  api(emulator, 'GET', `/users?payload=${encodeURIComponent(JSON.stringify({ filter_conditions: {}, limit: 100, ...payload }))}`);

describe.each(['flat', 'nested'] as const)('query answers with custom data %s', (shape) => {
  it('query channels without state: every channel state and channel has what the spec requires', async () => {
    const emulator = await emulatorWith({ customData: shape, shortPages: false });
    emulator.data.updateChannel('messaging:channel-0000', { color: 'teal' });
    const response = await queryChannels(emulator, { state: false });
    expect(response.status).toBe(201);
    expectValid('QueryChannelsResponse', response, shape);
    const states = response.json.channels as Record<string, any>[];
    expect(states).toHaveLength(6);
    for (const state of states) expect([state.members, state.messages, state.threads]).toEqual([[], [], []]);
    const first = states.find((state) => state.channel.cid === 'messaging:channel-0000')!.channel;
    const name = emulator.data.channelModel('messaging:channel-0000')!.fields.name;
    if (shape === 'nested') expect([first.name, first.custom.name, first.custom.color]).toEqual([undefined, name, 'teal']);
    else expect([first.custom, first.color]).toEqual([undefined, 'teal']);
  });

  it('query channels with state: members and the latest messages, which validate too', async () => {
    const emulator = await emulatorWith({ customData: shape, shortPages: false });
    const response = await queryChannels(emulator, { state: true, message_limit: 10 });
    expect(response.status).toBe(201);
    expectValid('QueryChannelsResponse', response, shape);
    for (const state of response.json.channels as Record<string, any>[]) {
      const cid = state.channel.cid as string;
      const replies = (message: Record<string, any>) => message.parent_id !== undefined;
      const latest = [...emulator.data.messages({ cids: [cid] })].filter((message) => !replies(message)).slice(-10);
      expect(state.messages.map((message: Record<string, any>) => message.id)).toEqual(latest.map((message) => message.id));
      expect(state.members.map((member: Record<string, any>) => member.user_id)).toEqual(
        [...emulator.data.members({ cids: [cid] })].map((member) => member.user_id),
      );
    }
  });

  it('query users: every user has what the spec requires, deactivated and banned ones included', async () => {
    const emulator = await emulatorWith({ customData: shape, shortPages: false });
    emulator.data.updateUser('user-0001', { favorite_color: 'ochre', nickname: 'Ace' });
    emulator.data.deactivateUser('user-0002');
    emulator.data.banUser('user-0003');
    const response = await queryUsers(emulator, { include_deactivated_users: true });
    expect(response.status).toBe(200);
    expectValid('QueryUsersResponse', response, shape);
    const user = (response.json.users as Record<string, any>[]).find((listed) => listed.id === 'user-0001')!;
    if (shape === 'nested') expect([user.nickname, user.custom.nickname]).toEqual([undefined, 'Ace']);
    else expect([user.custom, user.nickname]).toEqual([undefined, 'Ace']);
  });
});

describe('export and task answers', () => {
  it('export channels and export users answer a task id', async () => {
    const emulator = await emulatorWith();
    expectValid('ExportChannelsResponse', await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: 'messaging:channel-0000' }] } }));
    expectValid('ExportUsersResponse', await api(emulator, 'POST', '/export/users', { body: { user_ids: ['user-0000'] } }));
  });

  it('a task validates in every status it passes through, on both status routes', async () => {
    const emulator = await emulatorWith({ taskLatencyMs: 200 });
    const { json } = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: 'messaging:channel-0000' }] } });
    const seen = new Set<string>();
    for (let attempt = 0; attempt < 200 && !seen.has('completed'); attempt++) {
      for (const route of ['/tasks/', '/export_channels/']) {
        const task = await api(emulator, 'GET', `${route}${String(json.task_id)}`);
        expectValid('GetTaskResponse', task);
        seen.add(String(task.json.status));
      }
      await sleep(10);
    }
    expect([...seen].sort()).toEqual(['completed', 'pending', 'running', 'waiting']);
  });

  it('a failed task and a task stuck in an unknown status validate', async () => {
    const emulator = await emulatorWith();
    emulator.faults.failTasks({ count: 1 });
    const failed = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: 'messaging:channel-0000' }] } });
    emulator.faults.unknownTaskStatus({ count: 1 });
    const stuck = await api(emulator, 'POST', '/export/users', { body: { user_ids: ['user-0000'] } });
    await sleep(150);
    const failedTask = await api(emulator, 'GET', `/tasks/${String(failed.json.task_id)}`);
    const stuckTask = await api(emulator, 'GET', `/tasks/${String(stuck.json.task_id)}`);
    expect([failedTask.json.status, stuckTask.json.status]).toEqual(['failed', 'queued']);
    expectValid('GetTaskResponse', failedTask);
    expectValid('GetTaskResponse', stuckTask);
  });

  it('rate limits validate, whole or narrowed', async () => {
    const emulator = await emulatorWith();
    await queryChannels(emulator, {});
    for (const query of ['', '?endpoints=QueryChannels,ExportChannels', '?server_side=true', '?android=true&web=true']) {
      const response = await api(emulator, 'GET', `/rate_limits${query}`);
      expect(response.status, query).toBe(200);
      expectValid('GetRateLimitsResponse', response);
    }
  });
});

describe('error bodies', () => {
  it('every error the emulator answers in JSON validates as an APIError', async () => {
    const emulator = await emulatorWith();
    const userToken = signToken(emulator.apiSecret, { user_id: 'user-0000' });
    const responses = [
      await queryChannels(emulator, { filter_conditions: { cid: { $gt: 'a' } } }),
      await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: 'messaging:nope' }] } }),
      await api(emulator, 'GET', '/tasks/nope'),
      await api(emulator, 'GET', '/nowhere'),
      await api(emulator, 'GET', '/users/nobody/export'),
      await api(emulator, 'GET', '/rate_limits', { apiKey: null }),
      await api(emulator, 'GET', '/rate_limits', { apiKey: 'wrong' }),
      await api(emulator, 'GET', '/rate_limits', { authType: 'anonymous' }),
      await api(emulator, 'GET', '/rate_limits', { token: signToken('another secret') }),
      await api(emulator, 'GET', '/rate_limits', { token: signToken(emulator.apiSecret, { server: true, exp: 1 }) }),
      await api(emulator, 'POST', '/export_channels', { token: userToken, body: { channels: [{ cid: 'messaging:channel-0000' }] } }),
      await api(emulator, 'POST', '/channels', { body: { filter_conditions: {}, padding: 'x'.repeat(1024 * 1024) } }),
    ];
    emulator.faults.rateLimit({ count: 1 });
    responses.push(await queryChannels(emulator, {}));
    emulator.faults.serverErrors({ count: 1 });
    responses.push(await queryChannels(emulator, {}));
    expect(responses.map((response) => response.status)).toEqual([400, 400, 404, 404, 404, 401, 401, 401, 401, 401, 403, 413, 429, 500]);
    for (const response of responses) expectValid('APIError', response);
  });
});
