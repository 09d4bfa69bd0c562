import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { api, download, exportChannels, jsonLines, manualClock, sleep, waitForTask } from './helpers.js';

const CID = 'messaging:channel-0000';
const TRUNCATED = 'livestream:channel-0004';
const DELETED = 'livestream:channel-0007';

let emulator: Emulator;

beforeAll(async () => {
  // Exports requested several a second (ExportChannels allows 2): the per-second limits are beside the
  // point of the file contents (rate-limits.test.ts has them).
  emulator = await startEmulator({ seed: 3, channels: 30, messagesPerChannel: 40, taskLatencyMs: 20, rateLimits: { perSecond: false } });
});

afterAll(async () => {
  await emulator.close();
});

function ofType(lines: Record<string, any>[], type: string): Record<string, any>[] {
  return lines.filter((line) => line.type === type).map((line) => line.data as Record<string, any>);
}

describe('POST /export_channels (v2)', () => {
  it('answers 201 with a task id and writes channel, members, messages with their reactions, then users', async () => {
    const created = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ type: 'messaging', id: 'channel-0000' }], version: 'v2' } });
    expect(created.status).toBe(201);
    expect(created.json.task_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json.duration).toMatch(/^\d+\.\d{2}ms$/);

    const task = await waitForTask(emulator, created.json.task_id as string);
    const file = await download(task.result.url as string);
    const lines = jsonLines(file.text);
    const types = lines.map((line) => line.type as string);
    expect(types[0]).toBe('channel');
    const firstMessage = types.indexOf('message');
    expect(types.slice(1, firstMessage).every((type) => type === 'member')).toBe(true);
    const firstUser = types.indexOf('user');
    expect(types.slice(firstUser).every((type) => type === 'user')).toBe(true);
    expect(lines.map((line) => line.data)).toEqual([...emulator.data.entities({ cids: [CID] })].map((entity) => entity.data));

    let lastMessage: Record<string, any> | undefined;
    for (const line of lines.slice(firstMessage, firstUser)) {
      if (line.type === 'message') lastMessage = line.data;
      else expect(line.data.message_id).toBe(lastMessage?.id);
    }
  });

  it('escapes <, > and & the way Go does', async () => {
    const file = await exportChannels(emulator, { channels: [{ cid: CID }] });
    expect(file.text).toContain('\\u003cp\\u003e');
    expect(file.text).not.toMatch(/[<>]/);
  });

  it('exports messages with messages_since < created_at <= messages_until', async () => {
    const times = [...emulator.data.messages({ cids: [CID] })].map((message) => String(message.created_at));
    const since = times[5] as string;
    const until = times[15] as string;
    const file = await exportChannels(emulator, { channels: [{ cid: CID, messages_since: since, messages_until: until }] });
    expect(ofType(jsonLines(file.text), 'message').map((message) => message.created_at)).toEqual(times.slice(6, 16));
  });

  it('accepts bounds with any precision and offset', async () => {
    const times = [...emulator.data.messages({ cids: [CID] })].map((message) => Date.parse(String(message.created_at)));
    const sinceMs = Math.floor((times[5] as number) / 1000) * 1000 + 1000;
    const local = new Date(sinceMs + 2 * 3_600_000).toISOString().slice(0, 19);
    const file = await exportChannels(emulator, { channels: [{ cid: CID, messages_since: `${local}+02:00` }] });
    const exported = ofType(jsonLines(file.text), 'message').map((message) => Date.parse(message.created_at));
    expect(exported.every((time) => time > sinceMs)).toBe(true);
    expect(exported.length).toBe(times.filter((time) => time > sinceMs).length);
  });

  it('rejects an invalid bound with Stream’s input error', async () => {
    const response = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: CID, messages_since: 'last week' }] } });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ code: 4, StatusCode: 400 });
    expect(response.json.message).toMatch(/^ExportChannels failed with error: ".*messages_since.*"$/);
  });

  it('rejects an empty window (messages_since not before messages_until) with Stream’s input error', async () => {
    for (const since of ['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.001Z']) {
      const body = { channels: [{ cid: CID, messages_since: since, messages_until: '2025-01-01T00:00:00Z' }] };
      const response = await api(emulator, 'POST', '/export_channels', { body });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ code: 4, StatusCode: 400 });
      expect(response.json.message).toMatch(/^ExportChannels failed with error: ".*messages_since.*messages_until.*"$/);
    }
  });

  it('includes truncated messages and soft-deleted channels only when asked', async () => {
    const plain = jsonLines((await exportChannels(emulator, { channels: [{ cid: TRUNCATED }, { cid: DELETED }] })).text);
    expect(ofType(plain, 'channel').map((channel) => channel.cid)).toEqual([TRUNCATED]);
    const truncatedAt = Date.parse(ofType(plain, 'channel')[0]?.truncated_at);
    expect(ofType(plain, 'message').every((message) => Date.parse(message.created_at) > truncatedAt)).toBe(true);

    const everything = jsonLines(
      (
        await exportChannels(emulator, {
          channels: [{ cid: TRUNCATED }, { cid: DELETED }],
          include_truncated_messages: true,
          include_soft_deleted_channels: true,
        })
      ).text,
    );
    expect(ofType(everything, 'channel').map((channel) => channel.cid)).toEqual([TRUNCATED, DELETED]);
    expect(ofType(everything, 'message').length).toBe(80);
  });

  it('blanks deleted messages’ text with clear_deleted_message_text', async () => {
    const cids = Array.from({ length: 10 }, (_, i) => ({ cid: emulator.data.allChannels()[i]?.cid }));
    const cleared = ofType(jsonLines((await exportChannels(emulator, { channels: cids, clear_deleted_message_text: true })).text), 'message');
    const deleted = cleared.filter((message) => message.type === 'deleted');
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.every((message) => message.text === '')).toBe(true);
  });

  it('rejects more channels than its limit (configurable, default 100), an empty list and unknown channels', async () => {
    const strict = await startEmulator({ seed: 3, channels: 30, messagesPerChannel: 1, taskLatencyMs: 20, maxChannelsPerExport: 25 });
    const channels = emulator.data
      .allChannels()
      .slice(0, 26)
      .map((channel) => ({ cid: channel.cid }));
    try {
      const tooMany = await api(strict, 'POST', '/export_channels', { body: { channels } });
      expect(tooMany.status).toBe(400);
      expect(tooMany.json.code).toBe(4);
      expect(tooMany.json.message).toContain('at most 25 channels');
      expect((await api(strict, 'POST', '/export_channels', { body: { channels: channels.slice(0, 25), version: 'v2' } })).status).toBe(201);
    } finally {
      await strict.close();
    }
    expect((await api(emulator, 'POST', '/export_channels', { body: { channels, version: 'v2' } })).status).toBe(201);
    expect((await api(emulator, 'POST', '/export_channels', { body: { channels: [] } })).json.code).toBe(4);
    const unknown = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ type: 'messaging', id: 'nope' }] } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toContain("Can't find channel");
  });

  it('writes the same bytes for the same seed', async () => {
    const other = await startEmulator({ seed: 3, channels: 30, messagesPerChannel: 40, taskLatencyMs: 20 });
    try {
      const body = { channels: [{ cid: CID }, { cid: TRUNCATED }] };
      const sha = async (target: Emulator) =>
        createHash('sha256')
          .update((await exportChannels(target, body)).bytes)
          .digest('hex');
      expect(await sha(other)).toBe(await sha(emulator));
    } finally {
      await other.close();
    }
  });

  it('shows messages added later in later exports, not in earlier ones', async () => {
    const before = (await exportChannels(emulator, { channels: [{ cid: 'team:channel-0002' }] })).text;
    const added = emulator.data.addMessages('team:channel-0002', 2, { text: 'fresh news' });
    const after = jsonLines((await exportChannels(emulator, { channels: [{ cid: 'team:channel-0002' }] })).text);
    expect(before).not.toContain('fresh news');
    expect(
      ofType(after, 'message')
        .slice(-2)
        .map((message) => message.id),
    ).toEqual(added.map((message) => message.id));
    const since = String(added[0]?.created_at);
    const incremental = ofType(
      jsonLines((await exportChannels(emulator, { channels: [{ cid: 'team:channel-0002', messages_since: since }] })).text),
      'message',
    );
    expect(incremental.map((message) => message.id)).toEqual([added[1]?.id]);
  });

  it('exports the data as it was when the export was requested', async () => {
    const created = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: 'team:channel-0005' }], version: 'v2' } });
    emulator.data.addMessages('team:channel-0005', 1, { text: 'too late' });
    const task = await waitForTask(emulator, created.json.task_id as string);
    expect((await download(task.result.url as string)).text).not.toContain('too late');
  });
});

describe('export file variants', () => {
  it('writes bare entity lines with lineFormat bare', async () => {
    const bare = await startEmulator({ seed: 3, channels: 3, messagesPerChannel: 5, taskLatencyMs: 0, lineFormat: 'bare' });
    try {
      const lines = jsonLines((await exportChannels(bare, { channels: [{ cid: CID }] })).text);
      expect(lines).toEqual([...bare.data.entities({ cids: [CID] })].map((entity) => entity.data));
    } finally {
      await bare.close();
    }
  });

  it('gzips channel exports with gzip on, and leaves user exports plain', async () => {
    const zipped = await startEmulator({ seed: 3, channels: 3, messagesPerChannel: 5, taskLatencyMs: 0, gzip: true });
    try {
      const file = await exportChannels(zipped, { channels: [{ cid: CID }] });
      expect([...file.bytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      expect(file.task.result.path).toMatch(/\.jsonl\.gz$/);
      expect(jsonLines(file.text)[0]?.type).toBe('channel');
      const created = await api(zipped, 'POST', '/export/users', { body: { user_ids: ['user-0001'] } });
      const task = await waitForTask(zipped, created.json.task_id as string);
      expect((await download(task.result.url as string)).bytes[0]).toBe('{'.charCodeAt(0));
    } finally {
      await zipped.close();
    }
  });

  it('writes v1 as one JSON array of {channel, members, messages} without reaction lines', async () => {
    const created = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: CID }, { cid: 'team:channel-0002' }] } });
    const task = await waitForTask(emulator, created.json.task_id as string);
    expect(task.result.path).toMatch(/\.json$/);
    const document = JSON.parse((await download(task.result.url as string)).text) as Record<string, any>[];
    expect(document.map((entry) => entry.channel.cid)).toEqual([CID, 'team:channel-0002']);
    expect(document[0]?.members).toEqual([...emulator.data.members({ cids: [CID] })].map(({ cid: _cid, ...member }) => member));
    expect(document[0]?.messages).toEqual([...emulator.data.messages({ cids: [CID] })]);
    expect(Object.keys(document[0] as object)).toEqual(['channel', 'members', 'messages']);
  });
});

describe('tasks', () => {
  it('moves waiting → pending → running → completed with the clock, re-signing the URL at every poll', async () => {
    const clock = manualClock();
    const timed = await startEmulator({ channels: 1, messagesPerChannel: 3, taskLatencyMs: 1000, now: clock.now });
    try {
      const created = await api(timed, 'POST', '/export_channels', { body: { channels: [{ cid: CID }], version: 'v2' } });
      const id = created.json.task_id as string;
      const statuses: string[] = [];
      for (const step of [0, 300, 300, 500]) {
        clock.advance(step);
        await sleep(20);
        const { json } = await api(timed, 'GET', `/tasks/${id}`);
        statuses.push(json.status as string);
        if (json.status !== 'completed') expect(json).not.toHaveProperty('result');
        expect(json).not.toHaveProperty('error');
      }
      expect(statuses).toEqual(['waiting', 'pending', 'running', 'completed']);
      const first = (await api(timed, 'GET', `/tasks/${id}`)).json;
      clock.advance(2000);
      const second = (await api(timed, 'GET', `/export_channels/${id}`)).json;
      expect(second.status).toBe('completed');
      expect(second.result.url).not.toBe(first.result.url);
      expect(second.result).toMatchObject({ path: first.result.path, s3_bucket_name: first.result.s3_bucket_name });
      expect(second.result.url).toContain(`/exports/channels/`);
    } finally {
      await timed.close();
    }
  });

  it('answers an unknown task id with Stream’s not-found error on both routes', async () => {
    for (const [path, endpoint] of [
      ['/tasks/', 'GetTask'],
      ['/export_channels/', 'GetExportChannelsStatus'],
    ] as const) {
      const response = await api(emulator, 'GET', `${path}no-such-task`);
      expect(response.status).toBe(404);
      expect(response.json).toMatchObject({ code: 16, StatusCode: 404, details: [] });
      expect(response.json.message).toBe(`${endpoint} failed with error: "Can't find task with id "no-such-task""`);
    }
  });
});

describe('user exports', () => {
  it('writes per user the user line, their messages, then their reactions', async () => {
    const created = await api(emulator, 'POST', '/export/users', { body: { user_ids: ['user-0003', 'user-0005'] } });
    expect(created.status).toBe(201);
    const task = await waitForTask(emulator, created.json.task_id as string);
    expect(task.result.url).toContain('/exports/users/');
    const lines = jsonLines((await download(task.result.url as string)).text);
    const firstOf = (id: string) => lines.findIndex((line) => line.type === 'user' && line.data.id === id);
    const own = lines.slice(firstOf('user-0003'), firstOf('user-0005'));
    expect(own[0]?.data.id).toBe('user-0003');
    expect(own.filter((line) => line.type === 'message').every((line) => line.data.user.id === 'user-0003')).toBe(true);
    expect(own.filter((line) => line.type === 'reaction').every((line) => line.data.user_id === 'user-0003')).toBe(true);
    const kinds = own.slice(1).map((line) => line.type);
    expect(kinds.indexOf('reaction')).toBeGreaterThan(0);
    expect(kinds.lastIndexOf('message')).toBeLessThan(kinds.indexOf('reaction'));
  });

  it('rejects more than 25 ids and unknown users', async () => {
    const ids = Array.from({ length: 26 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
    expect((await api(emulator, 'POST', '/export/users', { body: { user_ids: ids } })).json.code).toBe(4);
    expect((await api(emulator, 'POST', '/export/users', { body: { user_ids: ['ghost'] } })).json.code).toBe(4);
  });

  it('answers GET /users/{id}/export synchronously', async () => {
    const response = await api(emulator, 'GET', '/users/user-0003/export');
    expect(response.status).toBe(200);
    expect(response.json.user.id).toBe('user-0003');
    expect(response.json.messages.every((message: Record<string, any>) => message.user.id === 'user-0003')).toBe(true);
    expect(Array.isArray(response.json.reactions)).toBe(true);
  });
});
