import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import { api } from './helpers.js';

const IMPORTED_AT = '2023-03-03T03:03:03.5Z';

describe('channels that share one created_at', () => {
  it('addChannels creates 1,600 of them quickly; query channels reaches them up to offset 1,000 only', async () => {
    const emulator = await startEmulator({ seed: 8, channels: 3, messagesPerChannel: 2 });
    try {
      const started = performance.now();
      const created = emulator.data.addChannels({ count: 1600, type: 'team', createdAt: IMPORTED_AT, idPrefix: 'imported', memberIds: ['user-0003'] });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(created).toHaveLength(1600);
      expect(created[0]).toBe('team:imported-00000');
      const entity = emulator.data.channelEntity(emulator.data.channelModel('team:imported-01599')!);
      expect(entity).toMatchObject({ created_at: IMPORTED_AT, updated_at: IMPORTED_AT, member_count: 1, created_by: { id: 'user-0003' } });
      expect(entity).not.toHaveProperty('last_message_at');

      const at = (offset: number) =>
        api(emulator, 'POST', '/channels', { body: { filter_conditions: { created_at: { $gte: IMPORTED_AT, $lte: IMPORTED_AT } }, offset, limit: 30 } });
      const deepest = await at(1000);
      expect(deepest.status).toBe(201);
      expect(deepest.json.channels.length).toBeGreaterThan(0);
      expect((await at(1001)).json.code).toBe(4);
    } finally {
      await emulator.close();
    }
  });

  it('addChannels defaults to the emulator’s now, the first type, two members and unique ids per call', async () => {
    const emulator = await startEmulator({ channels: 1, messagesPerChannel: 1, clockOffsetMs: -3_600_000 });
    try {
      const first = emulator.data.addChannels({ count: 3 });
      const second = emulator.data.addChannels({ count: 2 });
      expect(first).toEqual(['messaging:bulk-1-00000', 'messaging:bulk-1-00001', 'messaging:bulk-1-00002']);
      expect(second).toEqual(['messaging:bulk-4-00000', 'messaging:bulk-4-00001']);
      const stamps = first.map((cid) => emulator.data.channelEntity(emulator.data.channelModel(cid)!).created_at as string);
      expect(new Set(stamps).size).toBe(1);
      expect(Math.abs(Date.parse(stamps[0]!) - (Date.now() - 3_600_000))).toBeLessThan(5_000);
      expect(emulator.data.channelModel(first[0]!)!.members).toHaveLength(2);
      expect(() => emulator.data.addChannels({ count: 1, idPrefix: 'bulk-1' })).toThrow(/already exists/);
      expect(() => emulator.data.addChannels({ count: 1, createdAt: 'yesterday' })).toThrow(/RFC3339/);
      emulator.data.addMessages(second[1]!, 2);
      expect([...emulator.data.messages({ cids: [second[1]!] })]).toHaveLength(2);
    } finally {
      await emulator.close();
    }
  });

  it('channelsCreatedAt gives every generated channel one created_at', async () => {
    const emulator = await startEmulator({ channels: 12, messagesPerChannel: 2, channelsCreatedAt: '2024-01-01T00:00:00Z' });
    try {
      const stamps = new Set([...emulator.data.channels({ includeSoftDeleted: true })].map((channel) => channel.created_at));
      expect([...stamps]).toEqual(['2024-01-01T00:00:00Z']);
      await expect(startEmulator({ channelsCreatedAt: '2024-01-01' })).rejects.toThrow(/channelsCreatedAt/);
    } finally {
      await emulator.close();
    }
  });
});
