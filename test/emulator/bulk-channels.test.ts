import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import { api } from './helpers.js';

const IMPORTED_AT = '2023-03-03T03:03:03.5Z';

describe('channels that share one created_at', () => {
  it('addChannels creates 1,600 of them quickly, all listed by query channels through cid ranges', async () => {
    const emulator = await startEmulator({ seed: 8, channels: 3, messagesPerChannel: 2 });
    try {
      const started = performance.now();
      const created = emulator.data.addChannels({ count: 1600, type: 'team', createdAt: IMPORTED_AT, idPrefix: 'imported', memberIds: ['user-0003'] });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(created).toHaveLength(1600);
      expect(created[0]).toBe('team:imported-00000');
      const entity = emulator.data.channelEntity(emulator.data.channelModel('team:imported-01599')!);
      expect(entity).toMatchObject({ created_at: IMPORTED_AT, updated_at: IMPORTED_AT, member_count: 1, created_by: { id: 'user-0003' } });

      // Past offset 1,000 an offset walk cannot go: cid ranges that fit in one page need no order at all.
      const listed: string[] = [];
      for (let from = 0; from < 1600; from += 25) {
        const bounds = { $gte: `team:imported-${String(from).padStart(5, '0')}`, $lt: `team:imported-${String(from + 25).padStart(5, '0')}` };
        const response = await api(emulator, 'POST', '/channels', {
          body: { filter_conditions: { created_at: IMPORTED_AT, cid: bounds }, sort: [{ field: 'created_at', direction: 1 }], limit: 30 },
        });
        expect(response.status).toBe(201);
        listed.push(...(response.json.channels as Record<string, any>[]).map((state) => state.channel.cid as string));
      }
      expect(listed.sort()).toEqual(created);
      const sameInstant = await api(emulator, 'POST', '/channels', {
        body: { filter_conditions: { created_at: { $gte: IMPORTED_AT, $lte: IMPORTED_AT } }, offset: 1000, limit: 30 },
      });
      expect(sameInstant.json.channels).toHaveLength(30);
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
