import { Ajv } from 'ajv';
import fc from 'fast-check';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { ExportEntity } from '../../src/export/entities.js';
import { type StreamRecord, airbyteStreams, toRecords } from '../../src/records/index.js';
import { sampleChannel, sampleMember, sampleMessage, sampleReaction, sampleUser } from './sample-entities.js';

const CID = 'messaging:general';

function streamsOf(records: StreamRecord[]): string[] {
  return records.map((record) => record.stream);
}

// ajv-formats is CommonJS: its default export arrives wrapped or not depending on the loader.
const addFormats = ((ajvFormats as unknown as { default?: typeof ajvFormats }).default ?? ajvFormats) as unknown as (ajv: Ajv) => Ajv;

describe('toRecords', () => {
  it('makes a channels record carrying its cid, custom fields included', () => {
    const records = toRecords({ kind: 'channel', cid: CID, data: sampleChannel('messaging', 'general') });
    expect(streamsOf(records)).toEqual(['channels']);
    expect(records[0]?.data).toMatchObject({ cid: CID, topic: 'custom field', config: { max_message_length: 5000 } });
  });

  it('sets the cid of a channel that only carries type and id', () => {
    const { cid: _cid, ...channel } = sampleChannel('team', 'ops');
    const [record] = toRecords({ kind: 'channel', cid: 'team:ops', data: channel });
    expect(record?.data.cid).toBe('team:ops');
  });

  it('makes a members record with the cid of its channel, and a users record of its user', () => {
    const records = toRecords({ kind: 'member', cid: CID, data: sampleMember('u1') });
    expect(streamsOf(records)).toEqual(['members', 'users']);
    expect(records[0]?.data).toMatchObject({ cid: CID, user_id: 'u1', channel_role: 'channel_member', archived_at: null });
    expect(records[1]?.data).toMatchObject({ id: 'u1', birthland: 'Tatooine' });
  });

  it('takes a member user_id from its user when absent', () => {
    const { user_id: _id, ...member } = sampleMember('u2');
    const [record] = toRecords({ kind: 'member', cid: CID, data: member });
    expect(record?.data.user_id).toBe('u2');
  });

  it('reads a user given as a bare id (import format) as user_id', () => {
    const { user_id: _id, user: _user, ...member } = sampleMember('u3');
    const records = toRecords({ kind: 'member', cid: CID, data: { ...member, user: 'u3' } });
    expect(streamsOf(records)).toEqual(['members']);
    expect(records[0]?.data.user_id).toBe('u3');
    expect(records[0]?.data).not.toHaveProperty('user');
  });

  it('makes a messages record with its cid, and users records of its author and mentioned users', () => {
    const records = toRecords({ kind: 'message', cid: CID, data: sampleMessage(undefined, 'm1') });
    expect(streamsOf(records)).toEqual(['messages', 'users', 'users']);
    expect(records[0]?.data).toMatchObject({ id: 'm1', cid: CID, user_id: 'author-1', mood: 'cheerful', pinned_at: null });
    expect(records.slice(1).map((record) => record.data.id)).toEqual(['author-1', 'mentioned-1']);
  });

  it('derives reactions from latest_reactions only for messages marked reactionsInline (v1)', () => {
    const entity: ExportEntity = { kind: 'message', cid: CID, data: sampleMessage(CID, 'm2') };
    expect(streamsOf(toRecords(entity))).not.toContain('reactions');
    const records = toRecords({ ...entity, reactionsInline: true });
    const reactions = records.filter((record) => record.stream === 'reactions').map((record) => record.data);
    expect(reactions).toEqual([
      expect.objectContaining({ message_id: 'm2', user_id: 'fan-1', type: 'like', cid: CID }),
      expect.objectContaining({ message_id: 'm2', user_id: 'fan-2', type: 'love', score: 3, cid: CID }),
    ]);
    const userIds = records.filter((record) => record.stream === 'users').map((record) => record.data.id);
    expect(userIds).toEqual(['fan-1', 'fan-2', 'author-1', 'mentioned-1']);
  });

  it('derives reactions for v1 messages, which have no reaction lines', () => {
    const records = toRecords({ kind: 'message', cid: CID, data: sampleMessage(CID, 'm3'), reactionsInline: true });
    expect(records.filter((record) => record.stream === 'reactions')).toHaveLength(2);
  });

  it('fills message_id and user_id of latest_reactions entries that lack them', () => {
    const { message_id: _m, user_id: _u, ...reaction } = sampleReaction('m4', 'fan-9', 'wow');
    const data = sampleMessage(CID, 'm4', { latest_reactions: [reaction] });
    const reactions = toRecords({ kind: 'message', cid: CID, data, reactionsInline: true }).filter((record) => record.stream === 'reactions');
    expect(reactions[0]?.data).toMatchObject({ message_id: 'm4', user_id: 'fan-9', type: 'wow', cid: CID });
  });

  it('makes a reactions record with cid and user_id, and a users record of its user', () => {
    const { user_id: _id, ...reaction } = sampleReaction('m5', 'fan-3', 'like');
    const records = toRecords({ kind: 'reaction', cid: CID, data: reaction });
    expect(streamsOf(records)).toEqual(['reactions', 'users']);
    expect(records[0]?.data).toMatchObject({ message_id: 'm5', user_id: 'fan-3', cid: CID });
  });

  it('keeps a reaction of a users export, which names no channel, without cid', () => {
    const [record] = toRecords({ kind: 'reaction', data: sampleReaction('m6', 'fan-4', 'like') });
    expect(record?.data).not.toHaveProperty('cid');
  });

  it('makes a users record of a user line, custom fields included', () => {
    const records = toRecords({ kind: 'user', data: sampleUser('u9', { favourite_color: 'teal', teams_role: { red: 'admin' } }) });
    expect(records).toEqual([{ stream: 'users', data: expect.objectContaining({ id: 'u9', favourite_color: 'teal' }) }]);
  });

  it('accepts explicit nulls and absent optional fields', () => {
    const records = toRecords({ kind: 'message', cid: CID, data: { id: 'm7', cid: CID, user: null, own_reactions: null, reaction_counts: null } });
    expect(streamsOf(records)).toEqual(['messages']);
  });

  it('accepts timestamps with 0 to 9 fractional digits and an offset', () => {
    for (const updated_at of ['2025-01-23T13:05:35Z', '2025-01-23T13:05:35.3Z', '2025-01-23T13:05:35.365621247Z', '2025-01-23T15:05:35.5+02:00']) {
      expect(toRecords({ kind: 'user', data: sampleUser('u', { updated_at }) })[0]?.data.updated_at).toBe(updated_at);
    }
  });

  function withReports(run: (report: (problem: string) => void) => StreamRecord[]): { records: StreamRecord[]; reports: string[] } {
    const reports: string[] = [];
    return { records: run((problem) => reports.push(problem)), reports };
  }

  it('skips a record without a primary-key field and reports it, naming the stream and the field', () => {
    const { records, reports } = withReports((report) => toRecords({ kind: 'message', cid: CID, data: { text: 'no id', cid: CID } }, report));
    expect(records).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^messages record\(s\) not matching the schema \(id: .*\): skipped, no primary key$/);
  });

  it('skips a member whose channel is unknown', () => {
    const { records, reports } = withReports((report) => toRecords({ kind: 'member', data: sampleMember('u1') }, report));
    expect(streamsOf(records)).not.toContain('members');
    expect(reports[0]).toContain('cid');
  });

  it('writes a record with a wrongly typed field as sent and reports the field, not the record', () => {
    const data = sampleMessage(CID, 'm8', { reply_count: '3' });
    const { records, reports } = withReports((report) => toRecords({ kind: 'message', cid: CID, data }, report));
    expect(records.find((record) => record.stream === 'messages')?.data.reply_count).toBe('3');
    expect(reports).toEqual([expect.stringMatching(/^messages record\(s\) not matching the schema \(reply_count: .*\): written as sent$/)]);
    expect(reports[0]).not.toContain('m8');
  });

  it('reports a timestamp that is not RFC 3339', () => {
    const { reports } = withReports((report) => toRecords({ kind: 'user', data: sampleUser('u1', { updated_at: '1737637535' }) }, report));
    expect(reports[0]).toContain('updated_at');
  });

  it('reports a bad nested user, a bad derived reaction and a fractional integer', () => {
    const bad = [
      { kind: 'message' as const, cid: CID, data: sampleMessage(CID, 'm9', { user: { role: 'user' } }) },
      {
        kind: 'message' as const,
        cid: CID,
        data: sampleMessage(CID, 'm10', { latest_reactions: [{ type: 'like', score: 1 }] }),
        reactionsInline: true as const,
      },
      { kind: 'reaction' as const, cid: CID, data: sampleReaction('m11', 'u', 'like', { score: 1.5 }) },
    ];
    for (const entity of bad) expect(withReports((report) => toRecords(entity, report)).reports.length, entity.data.id as string).toBeGreaterThan(0);
  });

  it('makes records that validate against the discovered JSON schemas', () => {
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    const validators = new Map(airbyteStreams().map((stream) => [stream.name, ajv.compile(stream.json_schema)]));
    const records = [
      ...toRecords({ kind: 'channel', cid: CID, data: sampleChannel('messaging', 'general') }),
      ...toRecords({ kind: 'member', cid: CID, data: sampleMember('u1') }),
      ...toRecords({ kind: 'message', cid: CID, data: sampleMessage(CID, 'm1'), reactionsInline: true }),
      ...toRecords({ kind: 'reaction', cid: CID, data: sampleReaction('m1', 'u2', 'like') }),
      ...toRecords({ kind: 'user', data: sampleUser('u3') }),
    ];
    expect(new Set(streamsOf(records))).toEqual(new Set(['channels', 'members', 'messages', 'reactions', 'users']));
    for (const record of records) {
      const validate = validators.get(record.stream);
      expect(validate?.(record.data), `${record.stream}: ${JSON.stringify(validate?.errors)}`).toBe(true);
    }
  });
});

/** An entity as a wrapped v2 line gives it: with the JSON bytes of its data. */
function fromLine(entity: ExportEntity): ExportEntity {
  return { ...entity, json: Buffer.from(JSON.stringify(entity.data)) };
}

describe('toRecords: JSON text', () => {
  it("gives the entity's own record the line's JSON bytes, derived fields in front", () => {
    const { user_id: _id, ...reaction } = sampleReaction('m1', 'fan-1', 'like');
    const [record, user] = toRecords(fromLine({ kind: 'reaction', cid: CID, data: reaction }));
    expect(record?.json?.toString()).toBe(`{"user_id":"fan-1","cid":"${CID}",${JSON.stringify(reaction).slice(1)}`);
    expect(JSON.parse(record?.json?.toString() ?? '')).toEqual(record?.data);
    expect(user?.json).toBeUndefined();
  });

  it('keeps the bytes as they are when nothing is derived, escapes and all', () => {
    const json = Buffer.from('{"id":"u1","name":"\\u003cb\\u003e caf\u00e9"}');
    const [record] = toRecords({ kind: 'user', data: JSON.parse(json.toString()) as Record<string, unknown>, json });
    expect(record?.json).toBe(json);
    expect(record?.data.name).toBe('<b> café');
  });

  it('gives no JSON text when a derived field replaces one the entity has', () => {
    const cases: ExportEntity[] = [
      { kind: 'message', cid: CID, data: sampleMessage(CID, 'm1', { user_id: null }) },
      { kind: 'member', cid: CID, data: sampleMember('u1', { cid: null }) },
      { kind: 'member', cid: CID, data: { ...sampleMember('u1'), user: 'u1' } },
      { kind: 'channel', cid: CID, data: sampleChannel('messaging', 'general', { cid: null }) },
    ];
    for (const entity of cases) expect(toRecords(fromLine(entity), () => {})[0]?.json, JSON.stringify(entity.data)).toBeUndefined();
  });

  it('gives every record JSON text, when it has some, that reads back as its data', () => {
    const entity = fc.oneof(
      fc.record({ kind: fc.constant('channel' as const), data: fc.constant(sampleChannel('messaging', 'general')) }),
      fc.record({ kind: fc.constant('member' as const), data: fc.constantFrom(sampleMember('u1'), { ...sampleMember('u2'), user_id: undefined }) }),
      fc.record({
        kind: fc.constant('message' as const),
        data: fc.constantFrom(sampleMessage(CID, 'm1'), sampleMessage(undefined, 'm2'), sampleMessage(CID, 'm3', { user_id: 'author-1' })),
      }),
      fc.record({ kind: fc.constant('reaction' as const), data: fc.constant(sampleReaction('m1', 'u1', 'like')) }),
      fc.record({ kind: fc.constant('user' as const), data: fc.constant(sampleUser('u1')) }),
    );
    const custom = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }).map((key) => `x_${key}`),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 3 },
    );
    fc.assert(
      fc.property(entity, custom, fc.constantFrom(CID, undefined), ({ kind, data }, extra, cid) => {
        const fields = JSON.parse(JSON.stringify({ ...data, ...extra })) as Record<string, unknown>;
        const records = toRecords(fromLine(cid === undefined ? { kind, data: fields } : { kind, cid, data: fields }), () => {});
        for (const record of records) if (record.json) expect(JSON.parse(record.json.toString())).toEqual(record.data);
        const own = records[0];
        if (own && kind !== 'user' && own.data !== fields) expect(own.json).toBeDefined();
      }),
      { numRuns: 200 },
    );
  });
});
