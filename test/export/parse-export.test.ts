import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SystemError, TransientError } from '../../src/errors.js';
import type { ExportEntity } from '../../src/export/entities.js';
import { parseExport } from '../../src/export/parse-export.js';
import { sampleChannel, sampleMember, sampleMessage, sampleReaction, sampleUser } from '../records/sample-entities.js';

const CID = 'messaging:general';

async function* chunksOf(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part);
}

/** The bytes of `text` cut at the given byte offsets (which may fall inside a UTF-8 character). */
function split(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  return pieces;
}

/** The entities read, each one's JSON bytes (when kept) checked against its data, then set aside. */
async function collect(source: AsyncIterable<ExportEntity>): Promise<ExportEntity[]> {
  const out: ExportEntity[] = [];
  for await (const { json, ...entity } of source) {
    if (json !== undefined) expect(JSON.parse(json.toString('utf8'))).toEqual(entity.data);
    out.push(entity);
  }
  return out;
}

async function parse(format: 'v1' | 'v2', ...parts: (string | Buffer)[]): Promise<{ entities: ExportEntity[]; skipped: string[] }> {
  const skipped: string[] = [];
  const entities = await collect(parseExport(chunksOf(...parts), format, (reason) => skipped.push(reason)));
  return { entities, skipped };
}

async function failure(run: Promise<unknown>): Promise<SystemError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SystemError);
  return error as SystemError;
}

const jsonl = (...values: unknown[]) => values.map((value) => JSON.stringify(value)).join('\n');

describe('parseExport v2', () => {
  const channel = sampleChannel('messaging', 'general');
  const member = sampleMember('u1');
  const message = sampleMessage(CID, 'm1');

  it('yields the entities of wrapped lines in file order, members taking the channel before them', async () => {
    const file = jsonl({ type: 'channel', data: channel }, { type: 'channel_member', data: member }, { type: 'message', data: message });
    const { entities } = await parse('v2', file);
    expect(entities).toEqual([
      { kind: 'channel', cid: CID, data: channel },
      { kind: 'member', cid: CID, data: member },
      { kind: 'message', cid: CID, data: message },
    ]);
  });

  it('gives each member the last channel seen, not the first', async () => {
    const other = sampleChannel('team', 'ops');
    const { entities } = await parse('v2', jsonl(channel, member, other, member));
    expect(entities.map((entity) => entity.cid)).toEqual([CID, CID, 'team:ops', 'team:ops']);
  });

  it('handles CRLF, blank lines, a byte-order mark and a last line without newline', async () => {
    const file = `\uFEFF${JSON.stringify(channel)}\r\n\r\n   \r\n${JSON.stringify(member)}\r\n\n${JSON.stringify(message)}`;
    const { entities } = await parse('v2', file);
    expect(entities.map((entity) => entity.kind)).toEqual(['channel', 'member', 'message']);
  });

  it('decodes UTF-8 characters cut across chunk borders', async () => {
    const text = 'grüße 👋🏽 日本語';
    const file = jsonl(sampleMessage(CID, 'm1', { text }));
    const bytes = Buffer.from(file);
    const inside = bytes.indexOf(Buffer.from('👋')) + 2;
    const { entities } = await parse('v2', bytes.subarray(0, inside), bytes.subarray(inside));
    expect(entities[0]?.data.text).toBe(text);
  });

  it('reports skipped lines with their line number and reason', async () => {
    const file = jsonl(channel, { type: 'read', data: {} }, { foo: 1 }, member);
    const { entities, skipped } = await parse('v2', file);
    expect(entities).toHaveLength(2);
    expect(skipped).toEqual(['a "read" line (not replicated)', 'an unrecognised line with the fields foo']);
  });

  it('skips a line that is not JSON in a whole file, naming the line and quoting it, and reads on', async () => {
    const { entities, skipped } = await parse('v2', `${JSON.stringify(channel)}\n\n{"id": "m1", "text": tru\n${JSON.stringify(member)}\n`);
    expect(entities).toHaveLength(2);
    expect(skipped).toEqual(['a line that is not JSON (line 3: "{\\"id\\": \\"m1\\", \\"text\\": tru")']);
  });

  it('fails a file whose last line is not JSON and has no line break after it: the file was cut there', async () => {
    const file = `${JSON.stringify(channel)}\n${JSON.stringify(member)}\n{"type":"message","data":{"id":"m1","te`;
    for (const parts of [[file], split(file, [10, file.length - 20, file.length - 3])]) {
      const error = await parse('v2', ...parts).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as TransientError).message).toBe(
        'the export file ends in a cut line (line 3: "{\\"type\\":\\"message\\",\\"data\\":{\\"id\\":\\"m1\\",\\"te"): the file is truncated',
      );
      expect((error as TransientError).context).toEqual({ line: 3 });
    }
  });

  it('reads a last line without a line break that is JSON, and skips a last line that is not JSON but ends in a line break', async () => {
    expect((await parse('v2', `${JSON.stringify(channel)}\n{"foo":1}`)).skipped).toEqual(['an unrecognised line with the fields foo']);
    expect((await parse('v2', `${JSON.stringify(channel)}\r\n${JSON.stringify(member)}\r`)).entities).toHaveLength(2);
    const { entities, skipped } = await parse('v2', `${JSON.stringify(channel)}\n{"id": "m1", "te\r\n`);
    expect(entities).toHaveLength(1);
    expect(skipped).toEqual(['a line that is not JSON (line 2: "{\\"id\\": \\"m1\\", \\"te")']);
  });

  it('quotes only the start of a long bad line', async () => {
    const { skipped } = await parse('v2', `{"text": "${'x'.repeat(5000)}"\n`);
    expect(skipped[0]).toMatch(/not JSON \(line 1: "\{\\"text\\": \\"x+"… \(5011 characters\)\)$/);
    expect(skipped[0]!.length).toBeLessThan(300);
  });

  it('fails on a line longer than the cap, whether it arrives whole or in pieces', async () => {
    const first = JSON.stringify(channel);
    const cap = first.length + 10;
    const long = JSON.stringify(sampleMessage(CID, 'm1', { text: 'y'.repeat(cap) }));
    const whole = parseExport(chunksOf(`${first}\n${long}\n`), 'v2', undefined, { maxLineLength: cap });
    expect((await failure(collect(whole))).context).toEqual({ line: 2, maxLineLength: cap });
    const cuts = [1, 2, 3, 4].map((quarter) => Math.floor((long.length * quarter) / 5));
    const pieces = parseExport(chunksOf(`${first}\n`, ...split(long, cuts)), 'v2', undefined, { maxLineLength: cap });
    const error = await failure(collect(pieces));
    expect(error.message).toContain(`line 2 of the export is longer than ${cap} bytes`);
    expect(error.context).toEqual({ line: 2, maxLineLength: cap });
  });

  it('lets an error of the byte source through unchanged', async () => {
    const broken = new TransientError('download cut off', { context: { taskId: 't1' } });
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${JSON.stringify(channel)}\n`);
      throw broken;
    }
    await expect(collect(parseExport(source(), 'v2'))).rejects.toBe(broken);
    await expect(collect(parseExport(source(), 'v1'))).rejects.toBe(broken);
  });

  it('keeps the bytes of `data` of a line written as Go writes a wrapped line, and of no other', async () => {
    const data = '{"id":"m1","cid":"messaging:general","text":"caf\u00e9 \\u003cb\\u003e 👋"}';
    const lines = [
      `{"type":"message","data":${data}}`,
      `{"type":"message","data":${data},"extra":1}`,
      `{"type": "message", "data": ${data}}`,
      `{"type":"message","data":{"id":"m2","cid":"messaging:general"},"data":${data}}`,
      `{"type":"channel_member","item":{"user_id":"u1","cid":"messaging:general","status":"member"}}`,
      `{"type":"message","data":{"id":"m3","cid":"messaging:general","text":"\xff"}}`,
    ];
    const bytes = Buffer.concat(lines.map((line) => Buffer.from(`${line}\n`, line.includes('\xff') ? 'latin1' : 'utf8')));
    const entities: ExportEntity[] = [];
    for await (const entity of parseExport(chunksOf(bytes), 'v2')) entities.push(entity);
    expect(entities.map((entity) => entity.json?.toString('utf8'))).toEqual([data, undefined, undefined, undefined, undefined, undefined]);
    expect(entities.map((entity) => entity.data.id)).toEqual(['m1', 'm1', 'm1', 'm1', undefined, 'm3']);
    expect(entities[5]?.data.text).toBe('\ufffd');
  });

  it('reads an empty file as no entities', async () => {
    expect((await parse('v2', '')).entities).toEqual([]);
    expect((await parse('v2')).entities).toEqual([]);
  });
});

describe('parseExport v1', () => {
  const channel = sampleChannel('messaging', 'general');
  const members = [sampleMember('u1'), sampleMember('u2')];
  const messages = [sampleMessage(CID, 'm1'), sampleMessage(CID, 'm2')];
  const group = { channel, messages, members };
  const expected: ExportEntity[] = [
    { kind: 'channel', cid: CID, data: channel },
    ...messages.map((data): ExportEntity => ({ kind: 'message', cid: CID, data, reactionsInline: true })),
    ...members.map((data): ExportEntity => ({ kind: 'member', cid: CID, data })),
  ];

  it.each([
    ['a bare channel object', group],
    ['an array of channel objects', [group]],
    ['an object with a channels array', { channels: [group] }],
  ])('reads %s', async (_shape, document) => {
    expect((await parse('v1', JSON.stringify(document, null, 2))).entities).toEqual(expected);
  });

  it('reads several channels, each member taking its own channel', async () => {
    const other = { channel: sampleChannel('team', 'ops'), members: [sampleMember('u3')], messages: [] };
    const { entities } = await parse('v1', JSON.stringify([group, other]));
    expect(entities.map((entity) => `${entity.kind} ${entity.cid}`)).toEqual([
      ...expected.map((entity) => `${entity.kind} ${entity.cid}`),
      'channel team:ops',
      'member team:ops',
    ]);
  });

  it('reads channel objects written back to back', async () => {
    const other = { channel: sampleChannel('team', 'ops'), members: [], messages: [] };
    const { entities } = await parse('v1', `${JSON.stringify(group)}\n${JSON.stringify(other)}\n`);
    expect(entities.map((entity) => entity.kind)).toEqual([...expected.map((entity) => entity.kind), 'channel']);
  });

  it("gives members listed before their channel the channel's cid", async () => {
    const { entities } = await parse('v1', JSON.stringify({ members, messages, channel }));
    expect(entities.map((entity) => `${entity.kind} ${entity.cid}`)).toEqual([
      `message ${CID}`,
      `message ${CID}`,
      `channel ${CID}`,
      `member ${CID}`,
      `member ${CID}`,
    ]);
  });

  it('fails on members of a channel object that has no channel', async () => {
    const error = await failure(parse('v1', JSON.stringify({ members })));
    expect(error.message).toContain('2 members or messages but no channel');
  });

  it('skips other fields of a channel object with a reason', async () => {
    const document = { ...group, read: [{ user: sampleUser('u1'), last_read: '2025-01-01T00:00:00Z' }], watcher_count: 3 };
    const { entities, skipped } = await parse('v1', JSON.stringify(document));
    expect(entities).toEqual(expected);
    expect(skipped).toEqual(['the field "read" of a v1 channel (not replicated)', 'the field "watcher_count" of a v1 channel (not replicated)']);
  });

  it('fails on invalid or truncated JSON', async () => {
    const text = JSON.stringify([group]);
    const invalid = await failure(parse('v1', text.replace('"messages":', '"messages"')));
    expect(invalid.message).toMatch(/^the v1 export is not valid JSON: Parser /);
    expect(invalid.context).toEqual({ format: 'v1' });
    await failure(parse('v1', text.slice(0, text.length / 2)));
    await failure(parse('v1', text.slice(0, -1)));
  });

  it('fails on a file cut off anywhere, even right after a whole entity', async () => {
    const text = JSON.stringify([group, group]);
    for (const end of [text.indexOf('"messages"') - 1, text.indexOf('},') + 1, text.indexOf('"m2"') + 2, text.length - 1]) {
      expect((await failure(parse('v1', text.slice(0, end)))).context).toEqual({ format: 'v1' });
    }
  });

  it('fails on a document that is not an object or array', async () => {
    const error = await failure(parse('v1', '"just a string"'));
    expect(error.message).toBe('a v1 export is a JSON object or array of channels, not a stringValue');
  });
});

// --- properties ---------------------------------------------------------------------------------

const customKey = fc.string({ minLength: 1, maxLength: 8 }).map((key) => `x_${key}`);
const customFields = fc.dictionary(customKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
const id = fc.string({ minLength: 1, maxLength: 10 }).filter((text) => !text.includes(':'));
const timestamp = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

const userArb = fc.tuple(id, customFields, timestamp).map(([userId, custom, updated]) => sampleUser(userId, { ...custom, updated_at: updated }));
const messageArb = (cid: string) =>
  fc
    .tuple(id, fc.string(), customFields, fc.array(fc.tuple(id, id), { maxLength: 2 }))
    .map(([messageId, text, custom, reactions]) =>
      sampleMessage(cid, messageId, { ...custom, text, latest_reactions: reactions.map(([userId, type]) => sampleReaction(messageId, userId, type)) }),
    );
const groupArb = fc.tuple(id, id, customFields).chain(([type, channelId, custom]) => {
  const cid = `${type}:${channelId}`;
  return fc.record({
    channel: fc.constant(sampleChannel(type, channelId, custom)),
    members: fc.array(
      fc.tuple(id, customFields).map(([userId, extra]) => sampleMember(userId, extra)),
      { maxLength: 3 },
    ),
    messages: fc.array(messageArb(cid), { maxLength: 3 }),
    reactions: fc.array(
      fc.tuple(id, id, id).map(([m, u, t]) => sampleReaction(m, u, t)),
      { maxLength: 2 },
    ),
  });
});
const exportArb = fc.record({ groups: fc.array(groupArb, { minLength: 1, maxLength: 3 }), users: fc.array(userArb, { maxLength: 3 }) });
type ExportSample = typeof exportArb extends fc.Arbitrary<infer T> ? T : never;

/** What a v2 file of the sample holds, in order; JSON round trips normalise the values. */
function v2Entities(sample: ExportSample): ExportEntity[] {
  const out: ExportEntity[] = [];
  for (const { channel, members, messages, reactions } of sample.groups) {
    const cid = channel.cid as string;
    out.push({ kind: 'channel', cid, data: channel });
    for (const data of members) out.push({ kind: 'member', cid, data });
    for (const data of messages) out.push({ kind: 'message', cid, data });
    for (const data of reactions) out.push({ kind: 'reaction', cid, data });
  }
  for (const data of sample.users) out.push({ kind: 'user', data });
  return JSON.parse(JSON.stringify(out)) as ExportEntity[];
}

function v2File(entities: ExportEntity[], wrapped: boolean): string {
  const type = { channel: 'channel', member: 'channel_member', message: 'message', reaction: 'reaction', user: 'user' };
  return entities.map((entity) => JSON.stringify(wrapped ? { type: type[entity.kind], data: entity.data } : entity.data)).join('\n');
}

describe('parseExport, either format', () => {
  it.each(['v1', 'v2'] as const)('closes the byte source when the reader stops early (%s)', async (format) => {
    let closed = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        const channel = JSON.stringify(sampleChannel('messaging', 'general'));
        yield Buffer.from(format === 'v1' ? `{"channel":${channel},"members":[` : `${channel}\n`);
        for (let i = 0; i < 1000; i += 1) yield Buffer.from(`${JSON.stringify(sampleMember(`u${i}`))}${format === 'v1' ? ',' : '\n'}`);
      } finally {
        closed = true;
      }
    }
    for await (const entity of parseExport(source(), format)) {
      expect(entity.kind).toBe('channel');
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(true);
  });
});

describe('parseExport properties', () => {
  it('round-trips arbitrary entities through wrapped and bare v2 lines', async () => {
    await fc.assert(
      fc.asyncProperty(exportArb, fc.boolean(), async (sample, wrapped) => {
        const expected = v2Entities(sample);
        expect((await parse('v2', v2File(expected, wrapped))).entities).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('round-trips arbitrary channels through v1 documents of every shape', async () => {
    await fc.assert(
      fc.asyncProperty(exportArb, fc.constantFrom('array', 'channels', 'bare'), async (sample, shape) => {
        const groups = sample.groups.map(({ channel, members, messages }) => ({ channel, messages, members }));
        const document = shape === 'array' ? groups : shape === 'channels' ? { channels: groups } : groups[0];
        const expected = (JSON.parse(JSON.stringify(shape === 'bare' ? groups.slice(0, 1) : groups)) as typeof groups).flatMap(
          ({ channel, messages, members }): ExportEntity[] => [
            { kind: 'channel', cid: channel.cid as string, data: channel },
            ...messages.map((data): ExportEntity => ({ kind: 'message', cid: channel.cid as string, data, reactionsInline: true })),
            ...members.map((data): ExportEntity => ({ kind: 'member', cid: channel.cid as string, data })),
          ],
        );
        expect((await parse('v1', JSON.stringify(document))).entities).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same entities however the file is cut into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(exportArb, fc.constantFrom('v1', 'v2'), fc.array(fc.nat(), { maxLength: 12 }), async (sample, format, cuts) => {
        const file =
          format === 'v2'
            ? `${v2File(v2Entities(sample), true)}\r\n`
            : JSON.stringify(sample.groups.map(({ channel, members, messages }) => ({ channel, members, messages })));
        const whole = await parse(format, file);
        const pieces = await parse(format, ...split(file, cuts));
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });
});
