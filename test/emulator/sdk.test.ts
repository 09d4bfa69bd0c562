import { StreamChat } from 'stream-chat';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { jsonLines, sleep } from './helpers.js';

// The official SDK, pointed at the emulator, is the proof that the emulator speaks Stream's protocol.

let emulator: Emulator;
let client: StreamChat;

beforeAll(async () => {
  // These would make the SDK ignore baseURL (stream-export-api.md §1.1).
  delete process.env.STREAM_LOCAL_TEST_RUN;
  delete process.env.STREAM_LOCAL_TEST_HOST;
  emulator = await startEmulator({ seed: 11, channels: 12, messagesPerChannel: 30, taskLatencyMs: 50 });
  client = new StreamChat(emulator.apiKey, emulator.apiSecret, { baseURL: emulator.url });
});

afterAll(async () => {
  await emulator.close();
});

// The SDK types the export status response without `status`, though every response carries it.
async function untilDone(poll: () => Promise<object>): Promise<{ status?: string; result?: { url: string } }> {
  for (;;) {
    const task: { status?: string; result?: { url: string } } = await poll();
    if (task.status === 'completed' || task.status === 'failed') return task;
    await sleep(20);
  }
}

describe('the official stream-chat SDK against the emulator', () => {
  it('exports channels, polls both status routes and downloads the file', async () => {
    const { task_id } = await client.exportChannels(
      [
        { type: 'messaging', id: 'channel-0000' },
        { cid: 'team:channel-0002', messages_since: new Date('2024-11-01T00:00:00Z') },
      ],
      { version: 'v2', include_truncated_messages: true },
    );
    const status = await untilDone(() => client.getExportChannelStatus(task_id));
    const task = await untilDone(() => client.getTask(task_id));
    expect(status.status).toBe('completed');
    expect(task.status).toBe('completed');
    const url = task.result?.url as string;
    const lines = jsonLines(await (await fetch(url)).text());
    const channels = lines.filter((line) => line.type === 'channel').map((line) => line.data.cid);
    expect(channels).toEqual(['messaging:channel-0000', 'team:channel-0002']);
    const body = emulator.requests().find((record) => record.endpoint === 'ExportChannels')?.body as Record<string, any>;
    expect(body).toMatchObject({ version: 'v2', include_truncated_messages: true });
    const teamMessages = lines.filter((line) => line.type === 'message' && line.data.cid === 'team:channel-0002');
    expect(teamMessages.every((line) => Date.parse(line.data.created_at) > Date.parse('2024-11-01T00:00:00Z'))).toBe(true);
  });

  it('exports users', async () => {
    const { task_id } = await client.exportUsers({ user_ids: ['user-0001', 'user-0002'] });
    const task = await untilDone(() => client.getTask(task_id));
    const text = await (await fetch(task.result?.url as string)).text();
    expect(text).toContain('"user-0001"');
    expect(text).toContain('"user-0002"');
  });

  it('queries channels and hydrates their state', async () => {
    const channels = await client.queryChannels({ type: { $in: ['messaging', 'team'] } }, [{ created_at: 1 }], { limit: 30 });
    expect(channels.length).toBeGreaterThan(0);
    expect(channels.every((channel) => channel.type === 'messaging' || channel.type === 'team')).toBe(true);
    // The SDK asks for state (its default): the latest messages come with each channel.
    expect(channels[0]?.state.messages.length).toBeGreaterThan(0);
    const raw = await client.queryChannelsRequest({ cid: { $in: ['messaging:channel-0000'] } });
    expect(raw.map((state) => state.channel.cid)).toEqual(['messaging:channel-0000']);
  });

  it('queries users', async () => {
    const { users } = await client.queryUsers({ id: { $gt: 'user-0010' } }, { id: 1 }, { limit: 5 });
    expect(users.map((user) => user.id)).toEqual(['user-0011', 'user-0012', 'user-0013', 'user-0014', 'user-0015']);
  });

  it('gets code 43 with a wrong secret', async () => {
    const wrong = new StreamChat(emulator.apiKey, 'not-the-secret', { baseURL: emulator.url });
    await expect(wrong.getTask('anything')).rejects.toMatchObject({ code: 43, status: 401 });
  });

  it('gets Stream’s error for a 429', async () => {
    emulator.faults.rateLimit({ count: 1 });
    await expect(client.queryUsers({ id: 'user-0001' })).rejects.toMatchObject({ status: 429, code: 9 });
    emulator.faults.rateLimit({ count: 1, body: 'text' });
    await expect(client.queryUsers({ id: 'user-0001' })).rejects.toMatchObject({ status: 429, message: 'StreamChat error HTTP code: 429' });
    expect((await client.queryUsers({ id: 'user-0001' })).users).toHaveLength(1);
  });

  it('gets Stream’s not-found error for an unknown task', async () => {
    await expect(client.getTask('missing')).rejects.toMatchObject({ code: 16, message: expect.stringContaining(`Can't find task with id "missing"`) });
  });
});
