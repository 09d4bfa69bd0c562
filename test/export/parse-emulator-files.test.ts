// The emulator's export files (another workstream's code) read back through parseExport and
// toRecords: every entity it writes is classified, typed and shaped without a skip or an error.
import { describe, expect, it } from 'vitest';
import { DataSet } from '../../emulator/index.js';
import { jsonLinesFile, v1File } from '../../emulator/export-file.js';
import type { ExportEntity } from '../../src/export/entities.js';
import { parseExport } from '../../src/export/parse-export.js';
import { type StreamRecord, toRecords } from '../../src/records/index.js';

const dataSet = new DataSet({
  seed: 7,
  channels: 3,
  messagesPerChannel: 40,
  usersCount: 12,
  channelTypes: ['messaging', 'team'],
  now: () => new Date('2025-04-01T00:00:00Z'),
});
const selection = { channels: dataSet.allChannels().map((channel) => ({ cid: channel.cid })) };

async function* bytes(pieces: Iterable<string>): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield Buffer.from(piece);
}

async function read(pieces: Iterable<string>, format: 'v1' | 'v2') {
  const skipped: string[] = [];
  const entities: ExportEntity[] = [];
  const records: StreamRecord[] = [];
  for await (const entity of parseExport(bytes(pieces), format, (reason) => skipped.push(reason))) {
    entities.push(entity);
    records.push(...toRecords(entity));
  }
  return { skipped, entities, records };
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('emulator export files', () => {
  const written = [...dataSet.exportEntities(selection)];
  const expectedKinds = countBy(written, (entity) => entity.type);

  it.each(['wrapped', 'bare'] as const)('read back from %s v2 lines, entity for entity', async (lineFormat) => {
    const { skipped, entities } = await read(jsonLinesFile(written, lineFormat), 'v2');
    expect(skipped).toEqual([]);
    expect(entities.map((entity) => [entity.kind, entity.cid])).toEqual(written.map((entity) => [entity.type, entity.cid]));
  });

  it('read back from a v1 document, reactions coming from latest_reactions', async () => {
    const { skipped, entities, records } = await read(v1File(written), 'v1');
    expect(skipped).toEqual([]);
    expect(countBy(entities, (entity) => entity.kind)).toEqual({
      channel: expectedKinds.channel,
      member: expectedKinds.member,
      message: expectedKinds.message,
    });
    expect(records.some((record) => record.stream === 'reactions')).toBe(true);
  });

  it('yield records of all five streams, every member and reaction with its cid', async () => {
    const { records } = await read(jsonLinesFile(written, 'wrapped'), 'v2');
    expect(Object.keys(countBy(records, (record) => record.stream)).sort()).toEqual(['channels', 'members', 'messages', 'reactions', 'users']);
    for (const record of records.filter((r) => r.stream === 'members' || r.stream === 'reactions')) {
      expect(typeof record.data.cid).toBe('string');
    }
  });

  it('read back from a users export', async () => {
    const userIds =
      dataSet
        .allChannels()[0]
        ?.members.slice(0, 2)
        .map((member) => member.userId) ?? [];
    const exported = [...dataSet.userExportEntities(userIds)];
    const { skipped, entities, records } = await read(jsonLinesFile(exported, 'wrapped'), 'v2');
    expect(skipped).toEqual([]);
    expect(entities.map((entity) => entity.kind)).toEqual(exported.map((entity) => entity.type));
    expect(records.filter((record) => record.stream === 'users').map((record) => record.data.id)).toEqual(expect.arrayContaining(userIds));
  });
});
