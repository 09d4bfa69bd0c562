import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import { api, exportChannels, jsonLines, manualClock, waitForTask } from './helpers.js';

// The emulator's clock is the host's plus clockOffsetMs: Stream's clock is not the connector's (§9).

describe('clockOffsetMs', () => {
  for (const offsetMs of [30_000, -30_000]) {
    it(`moves the Date header and new stamps ${offsetMs > 0 ? 'ahead of' : 'behind'} the host clock`, async () => {
      const emulator = await startEmulator({ channels: 1, messagesPerChannel: 5, taskLatencyMs: 0, clockOffsetMs: offsetMs });
      try {
        const before = Date.now();
        const response = await api(emulator, 'POST', '/channels', { body: { filter_conditions: {} } });
        const [message] = emulator.data.addMessages('messaging:channel-0000', 1);
        const reaction = emulator.data.addReaction('msg-0-0', 'user-0000', 'wow');
        const channel = emulator.data.addChannel({ id: 'later' });
        const created = await api(emulator, 'POST', '/export_channels', { body: { channels: [{ cid: 'messaging:channel-0000' }], version: 'v2' } });
        const task = await waitForTask(emulator, created.json.task_id as string);
        const after = Date.now();
        // Date has whole seconds; every stamp must sit in [before, after] moved by the offset.
        const near = (ms: number, slackMs: number) => {
          expect(ms).toBeGreaterThanOrEqual(before + offsetMs - slackMs);
          expect(ms).toBeLessThanOrEqual(after + offsetMs + slackMs);
        };
        near(Date.parse(response.headers.get('date') as string), 1000);
        near(Date.parse(created.headers.get('date') as string), 1000);
        near(Date.parse(message!.created_at as string), 5);
        near(Date.parse(reaction.created_at as string), 5);
        near(Date.parse(channel.created_at as string), 5);
        near(Date.parse(task.created_at as string), 5);
        const amzDate = new URL(task.result.url as string).searchParams.get('X-Amz-Date') as string;
        near(Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')), 1000);
        near(Number(response.headers.get('x-ratelimit-reset')) * 1000, 61_000);
      } finally {
        await emulator.close();
      }
    });
  }

  it('adds the offset to the `now` option, also on error answers and 429s', async () => {
    const clock = manualClock(Date.UTC(2026, 2, 1, 12, 0, 0));
    const emulator = await startEmulator({ channels: 1, messagesPerChannel: 2, now: clock.now, clockOffsetMs: -90_000 });
    try {
      expect((await api(emulator, 'GET', '/tasks/nope')).headers.get('date')).toBe('Sun, 01 Mar 2026 11:58:30 GMT');
      emulator.faults.rateLimit({ count: 1 });
      expect((await api(emulator, 'GET', '/tasks/nope')).headers.get('date')).toBe('Sun, 01 Mar 2026 11:58:30 GMT');
      clock.advance(60_000);
      expect((await api(emulator, 'GET', '/users?payload=x', { token: null })).headers.get('date')).toBe('Sun, 01 Mar 2026 11:59:30 GMT');
      expect(emulator.data.addMessages('messaging:channel-0000', 1)[0]!.created_at).toBe('2026-03-01T11:59:30Z');
    } finally {
      await emulator.close();
    }
  });

  it('ends an export without messages_until at the emulator’s now, not the host’s', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const emulatorNow = Date.UTC(2024, 11, 1);
    const emulator = await startEmulator({
      channels: 1,
      messagesPerChannel: 90,
      taskLatencyMs: 0,
      now: clock.now,
      clockOffsetMs: emulatorNow - clock.now().getTime(),
    });
    try {
      const file = await exportChannels(emulator, { channels: [{ cid: 'messaging:channel-0000' }] });
      const messages = jsonLines(file.text).filter((line) => line.type === 'message');
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.length).toBeLessThan(90);
      expect(messages.every((line) => Date.parse(line.data.created_at as string) <= emulatorNow)).toBe(true);
      expect(messages).toHaveLength([...emulator.data.messages({ until: new Date(emulatorNow) })].length);
    } finally {
      await emulator.close();
    }
  });

  it('refuses an offset that is not a finite number', async () => {
    await expect(startEmulator({ clockOffsetMs: Number.NaN })).rejects.toThrow(/clockOffsetMs/);
  });
});
