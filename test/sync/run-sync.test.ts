import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { BatchTooLargeError, ChannelNotFoundError, ConfigError, type ConnectorError, TransientError } from '../../src/errors.js';
import type { ConfiguredStream } from '../../src/protocol/inputs.js';
import { MessageWriter } from '../../src/protocol/writer.js';
import type { ChannelExportRequest, ChannelFilter, ChannelSummary, CompletedTask, StreamTime, UsersWindow } from '../../src/stream-api/client.js';
import { ExportFlow } from '../../src/stream-api/export-flow.js';
import type { SyncClient } from '../../src/sync/export-job.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { QueriedUser } from '../../src/stream-api/users.js';

const NOW = new Date('2026-06-10T00:00:00.000Z');
const OLD = '2025-01-01T00:00:00.000Z';

/** A Stream without HTTP: channels with one message each, export files built from the requests. */
class FakeStream implements SyncClient {
  readonly exports: ChannelExportRequest[][] = [];
  readonly filters: ChannelFilter[] = [];
  failing = new Set<string>();
  refused = new Set<string>();
  /** Channels the export cannot find (deleted since listed, or never there). */
  missing = new Set<string>();
  maxChannels = 100;
  listingFails = false;
  /** Lines appended to every export file, as they are. */
  extraLines: string[] = [];
  /** Channels whose export file ends in a line cut short. */
  truncated = new Set<string>();

  /** The Date header of Stream's answers; absent: none. */
  streamDate: Date | undefined;
  readonly exportFlow = new ExportFlow({ perMinute: 60 });

  constructor(readonly channels: ChannelSummary[]) {}

  async streamTime(): Promise<StreamTime> {
    return { date: this.streamDate, receivedAt: new Date() };
  }

  async *listChannels(filter: ChannelFilter): AsyncGenerator<ChannelSummary> {
    this.filters.push(filter);
    if (this.listingFails) throw new TransientError('query channels is down');
    // As StreamApiClient lists: in ascending cid order.
    const sorted = [...this.channels].sort((a, b) => (a.cid < b.cid ? -1 : 1));
    for (const channel of sorted) if (filter.cids === undefined || filter.cids.includes(channel.cid)) yield channel;
  }

  async exportChannels(channels: ChannelExportRequest[]): Promise<string> {
    if (channels.length > this.maxChannels) throw new BatchTooLargeError(`at most ${this.maxChannels} channels`);
    if (channels.some((channel) => this.failing.has(`${channel.type}:${channel.id}`))) throw new TransientError('task failed');
    if (channels.some((channel) => this.refused.has(`${channel.type}:${channel.id}`))) throw new ConfigError('not allowed');
    const missing = channels.find((channel) => this.missing.has(`${channel.type}:${channel.id}`));
    if (missing !== undefined) throw new ChannelNotFoundError(`Can't find channel with cid "${missing.type}:${missing.id}"`);
    this.exports.push(channels);
    return `task-${this.exports.length}`;
  }

  /** Users query users lists (records may name others: deleted users). */
  users: QueriedUser[] = [];
  readonly userQueries: UsersWindow[] = [];
  readonly lookups: string[][] = [];

  async *listUsers(window: UsersWindow): AsyncGenerator<QueriedUser[]> {
    this.userQueries.push(window);
    if (this.users.length > 0) yield this.users;
  }

  async knownUserIds(ids: readonly string[]): Promise<Set<string>> {
    this.lookups.push([...ids]);
    return new Set(ids.filter((id) => this.users.some((user) => user.id === id)));
  }

  async waitForTask(taskId: string): Promise<CompletedTask> {
    return { task_id: taskId, status: 'completed', result: { url: `fake://${taskId}` } };
  }

  async *download(taskId: string): AsyncGenerator<Buffer> {
    const requests = this.exports[Number(taskId.slice(5)) - 1] ?? [];
    const lines = requests.flatMap(({ type, id }) => [
      { type: 'channel', data: { cid: `${type}:${id}`, type, id, created_at: OLD, updated_at: OLD, member_count: 0 } },
      {
        type: 'message',
        data: {
          id: `m-${id}`,
          cid: `${type}:${id}`,
          text: 'hi',
          type: 'regular',
          created_at: '2026-06-09T12:00:00Z',
          updated_at: '2026-06-09T12:00:00Z',
          user: { id: 'u1', created_at: OLD, updated_at: OLD },
        },
      },
    ]);
    const cut = requests.some(({ type, id }) => this.truncated.has(`${type}:${id}`)) ? ['{"type":"message","data":{"id":"m-cu'] : [];
    yield Buffer.from([...lines.map((line) => JSON.stringify(line)), ...this.extraLines, ...cut].join('\n'));
  }
}

function channel(n: number, lastMessageAt = '2026-06-09T12:00:00Z'): ChannelSummary {
  const created_at = new Date(Date.parse(OLD) + n * 1000).toISOString();
  return { cid: `t:c${n}`, type: 't', id: `c${n}`, created_at, updated_at: OLD, last_message_at: lastMessageAt, message_count: 1 };
}

async function sync(
  client: FakeStream,
  options: {
    config?: Record<string, unknown>;
    state?: Map<string, Record<string, unknown>>;
    streams?: ConfiguredStream[];
    now?: Date | 'stream';
    /** Collects what the writer is told of exports written and planned. */
    exports?: Array<[number, number]>;
  } = {},
) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exports = options.exports;
  const writer = Object.assign(new MessageWriter(out), exports && { exportsWritten: (done: number, planned: number) => void exports.push([done, planned]) });
  const config = parseConfig({ api_key: 'k', api_secret: 's', poll_interval_seconds: 0.01, ...options.config });
  const streams = options.streams ?? [{ name: 'messages', syncMode: 'incremental' }];
  let error: unknown;
  const now = options.now === 'stream' ? undefined : (options.now ?? NOW);
  await runSync({ config, streams, state: options.state ?? new Map(), writer, client, signal: new AbortController().signal, now }).catch(
    (caught: unknown) => (error = caught),
  );
  await writer.flush();
  const messages = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);
  const states = messages.filter((message) => message.type === 'STATE').map((message) => message.state.stream.stream_state as Record<string, any>);
  return {
    error,
    messages,
    states,
    last: states.at(-1),
    logs: messages.filter((m) => m.type === 'LOG').map((m) => String(m.log.message)),
    warnings: messages.filter((m) => m.type === 'LOG' && m.log.level === 'WARN').map((m) => String(m.log.message)),
  };
}

describe('runSync, with a fake Stream', () => {
  it('a first sync exports every channel in cid order, batches of channels_per_export, and estimates messages', async () => {
    const client = new FakeStream([channel(3), channel(1), channel(2)]);
    const result = await sync(client, { config: { channels_per_export: 2 } });
    expect(result.error).toBeUndefined();
    expect(client.exports.map((batch) => batch.map((request) => request.id))).toEqual([['c1', 'c2'], ['c3']]);
    expect(result.messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ESTIMATE')?.trace.estimate).toMatchObject({ name: 'messages', row_estimate: 3 });
    expect(result.last).toMatchObject({ cover: NOW.toISOString(), swept: NOW.toISOString(), lagging: {} });
    expect(result.logs.some((line) => /Planned 2 export\(s\) for 3 channel\(s\), listed in full/.test(line))).toBe(true);
  });

  it('tells the writer the exports written and planned, the written count never going back as more are planned', async () => {
    const exports: Array<[number, number]> = [];
    const result = await sync(new FakeStream([1, 2, 3, 4, 5, 6].map((n) => channel(n))), {
      config: { channels_per_export: 1, max_concurrent_exports: 2 },
      exports,
    });
    expect(result.error).toBeUndefined();
    expect(exports.at(-1)).toEqual([6, 6]);
    for (const [index, [done]] of exports.entries()) expect(done).toBeGreaterThanOrEqual(exports[index - 1]?.[0] ?? 0);
  });

  it('the next sync asks only for activity and exports only the active channel', async () => {
    const first = await sync(new FakeStream([channel(1), channel(2)]));
    const client = new FakeStream([channel(1, '2026-06-10T00:00:01Z')]);
    const next = await sync(client, { state: new Map([['messages', first.last!]]), now: new Date('2026-06-11T00:00:00.000Z') });
    expect(next.error).toBeUndefined();
    const asked = { types: [], onMissing: expect.any(Function), onUnlisted: expect.any(Function) };
    expect(client.filters).toEqual([
      { ...asked, where: { last_message_at: { $gt: NOW.toISOString() } } },
      { ...asked, where: { created_at: { $gt: NOW.toISOString() } } },
    ]);
    expect(client.exports.map((batch) => batch.map((request) => [request.id, request.messages_since]))).toEqual([[['c1', NOW.toISOString()]]]);
    expect(next.last).toMatchObject({ cover: '2026-06-11T00:00:00.000Z', swept: NOW.toISOString() });
  });

  it('every export window is non-empty: a channel only the channels stream needs, and a cursor from the future', async () => {
    const streams: ConfiguredStream[] = [
      { name: 'channels', syncMode: 'incremental' },
      { name: 'messages', syncMode: 'incremental' },
    ];
    const later = new Date('2026-06-11T00:00:00.000Z');
    const first = await sync(new FakeStream([channel(1), channel(2)]), { streams });
    const channelsState = first.states.at(-2)!;
    const messagesState = { ...first.last!, lagging: { 't:c2': '2027-01-01T00:00:00.000Z' } };
    const client = new FakeStream([{ ...channel(1, OLD), updated_at: '2026-06-10T12:00:00Z' }, channel(2)]);
    const state = new Map([
      ['channels', channelsState],
      ['messages', messagesState],
    ]);
    const next = await sync(client, { streams, state, now: later });
    expect(next.error).toBeUndefined();
    const windows = client.exports.flat().map((request) => [request.id, request.messages_since, request.messages_until]);
    expect(windows).toEqual([
      ['c1', '2026-06-10T23:59:59.999Z', later.toISOString()],
      ['c2', '2026-06-10T23:59:59.999Z', later.toISOString()],
    ]);
  });

  it('a listed channel Stream cannot find at export leaves its batch: the others are exported, a WARN names it, it does not lag', async () => {
    const client = new FakeStream([1, 2, 3, 4].map((n) => channel(n)));
    client.missing.add('t:c3');
    const result = await sync(client, { config: { channels_per_export: 4 } });
    expect(result.error).toBeUndefined();
    expect(result.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['m-c1', 'm-c2', 'm-c4']);
    expect(result.warnings.filter((line) => line.includes('t:c3'))).toHaveLength(1);
    expect(result.last).toMatchObject({ cover: NOW.toISOString(), lagging: {} });
  });

  it('a channel_ids channel Stream cannot find: every other channel exported and saved, then a config_error naming it', async () => {
    const client = new FakeStream([1, 2, 3].map((n) => channel(n)));
    client.missing.add('t:c9');
    const config = { channel_ids: ['t:c1', 't:c2', 't:c3', 't:c9'], include_soft_deleted_channels: true, channels_per_export: 4 };
    const result = await sync(client, { config });
    expect(result.error).toBeInstanceOf(ConfigError);
    expect((result.error as Error).message).toContain('t:c9');
    expect((result.error as Error).message).not.toContain('t:c1');
    expect(result.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['m-c1', 'm-c2', 'm-c3']);
    expect(result.last).toMatchObject({ cover: NOW.toISOString(), lagging: { 't:c9': null } });
  });

  it('a failed batch leaves its channels lagging with what they had, the others are written, the error sums up', async () => {
    const client = new FakeStream([channel(1), channel(2), channel(3)]);
    client.failing.add('t:c2');
    const result = await sync(client, { config: { channels_per_export: 1, max_concurrent_exports: 1 } });
    expect(result.error).toBeInstanceOf(Error);
    expect(String((result.error as Error).message)).toMatch(/^1 of 3 export\(s\) failed/);
    expect(result.last).toMatchObject({ lagging: { 't:c2': null } });
    expect(
      result.messages
        .filter((m) => m.type === 'RECORD')
        .map((m) => m.record.data.id)
        .sort(),
    ).toEqual(['m-c1', 'm-c3']);
  });

  it('a file cut in its last line fails its batch as transient: its channels lag, the others are written', async () => {
    const client = new FakeStream([channel(1), channel(2)]);
    client.truncated.add('t:c1');
    const result = await sync(client, { config: { channels_per_export: 1, max_concurrent_exports: 1 } });
    expect((result.error as ConnectorError).failureType).toBe('transient_error');
    expect((result.error as Error).message).toContain('channel batch 1 (t:c1): the export file ends in a cut line (line 3: ');
    expect(result.last).toMatchObject({ lagging: { 't:c1': null } });
    expect(result.last?.lagging).not.toHaveProperty('t:c2');
    // What came before the cut is written; the channel's state does not move, so it comes again next time.
    expect(result.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['m-c1', 'm-c2']);
  });

  it('a batch Stream refuses as too large is split, the smaller size kept, one WARN', async () => {
    const client = new FakeStream([1, 2, 3, 4, 5, 6].map((n) => channel(n)));
    client.maxChannels = 2;
    const result = await sync(client, { config: { channels_per_export: 6 } });
    expect(result.error).toBeUndefined();
    expect(client.exports.map((batch) => batch.length)).toEqual([2, 2, 2]);
    expect(result.warnings.filter((line) => line.includes('refused'))).toHaveLength(1);
  });

  it('a record nested deeper than JSON can be written is skipped with a WARN, and the rest written and counted', async () => {
    const client = new FakeStream([channel(1)]);
    const depth = 100_000;
    client.extraLines = [`{"id":"deep","cid":"t:c1","text":"x","created_at":"2026-06-09T12:00:00Z","extra":${'['.repeat(depth)}${']'.repeat(depth)}}`];
    const result = await sync(client);
    expect(result.error).toBeUndefined();
    expect(result.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['m-c1']);
    expect(result.warnings.some((line) => /nested too deeply to write as JSON \(deep first\): skipped/.test(line))).toBe(true);
    const counts = result.messages.filter((m) => m.type === 'STATE').map((m) => m.state.sourceStats.recordCount as number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('a 0.1.0 state is handed back as it came when the sync fails before it could be migrated', async () => {
    const legacy = { updated_at: OLD, cursors: { 't:c1': OLD } };
    const client = new FakeStream([channel(1)]);
    client.listingFails = true;
    const result = await sync(client, { state: new Map([['messages', legacy]]) });
    expect(result.error).toBeInstanceOf(TransientError);
    expect(result.last).toEqual(legacy);
  });

  it("windows end at Stream's clock less the settle margin when Stream's runs behind, with a WARN", async () => {
    const client = new FakeStream([channel(1)]);
    client.streamDate = new Date(Math.floor((Date.now() - 30_000) / 1000) * 1000);
    const result = await sync(client, { now: 'stream', config: { settle_margin_seconds: 60 } });
    const end = new Date(client.streamDate.getTime() - 60_000).toISOString();
    expect(result.error).toBeUndefined();
    expect(client.exports[0]?.[0]?.messages_until).toBe(end);
    expect(result.last).toMatchObject({ cover: end, swept: end });
    expect(result.warnings.some((line) => /Stream's clock is about 3\d s behind this host's/.test(line))).toBe(true);
  });

  it("windows end at the host's clock when Stream's runs ahead, never later, with a WARN", async () => {
    const client = new FakeStream([channel(1)]);
    client.streamDate = new Date(Date.now() + 30_000);
    const before = Date.now();
    const result = await sync(client, { now: 'stream', config: { settle_margin_seconds: 0 } });
    const until = Date.parse(client.exports[0]?.[0]?.messages_until ?? '');
    expect(until).toBeGreaterThanOrEqual(before);
    expect(until).toBeLessThan(client.streamDate.getTime() - 25_000);
    expect(result.warnings.some((line) => /Stream's clock is about 3\d s ahead of this host's/.test(line))).toBe(true);
  });

  it("windows end at the host's clock less the margin when Stream's answer has no Date, with a WARN", async () => {
    const client = new FakeStream([channel(1)]);
    const before = Date.now();
    const result = await sync(client, { now: 'stream', config: { settle_margin_seconds: 120 } });
    const until = Date.parse(client.exports[0]?.[0]?.messages_until ?? '');
    expect(until).toBeGreaterThanOrEqual(before - 120_000);
    expect(until).toBeLessThanOrEqual(Date.now() - 120_000);
    expect(result.warnings.some((line) => /no Date header/.test(line))).toBe(true);
  });

  it("clocks that agree within the Date header's second say nothing and end at the header's instant less the margin, never past Stream's clock", async () => {
    const client = new FakeStream([channel(1)]);
    client.streamDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const result = await sync(client, { now: 'stream', config: { settle_margin_seconds: 0 } });
    expect(client.exports[0]?.[0]?.messages_until).toBe(client.streamDate.toISOString());
    expect(result.warnings.filter((line) => /clock/.test(line))).toEqual([]);
  });

  it("a header a second and more behind the host's, within the header's precision and transit, still ends the window at the header", async () => {
    const client = new FakeStream([channel(1)]);
    client.streamDate = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    await sync(client, { now: 'stream', config: { settle_margin_seconds: 1 } });
    expect(client.exports[0]?.[0]?.messages_until).toBe(new Date(client.streamDate.getTime() - 1000).toISOString());
  });

  it('users alone: every user from query users, no channel listed or exported, then only those changed since', async () => {
    const client = new FakeStream([channel(1)]);
    client.users = [
      { id: 'u1', updated_at: OLD },
      { id: 'u2', updated_at: '2026-06-01T00:00:00Z' },
    ];
    const streams: ConfiguredStream[] = [{ name: 'users', syncMode: 'incremental' }];
    const first = await sync(client, { streams });
    expect(first.error).toBeUndefined();
    expect(client.filters).toEqual([]);
    expect(client.exports).toEqual([]);
    expect(first.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['u1', 'u2']);
    expect(client.userQueries).toEqual([{ upTo: NOW.toISOString() }]);
    expect(first.last).toEqual({ cover: NOW.toISOString(), swept: NOW.toISOString(), updated_at: '2026-06-01T00:00:00Z' });

    const later = new Date('2026-06-10T01:00:00.000Z');
    await sync(client, { streams, state: new Map([['users', first.last!]]), now: later });
    expect(client.userQueries[1]).toEqual({ after: NOW.toISOString(), upTo: later.toISOString() });
  });

  it('a user that written records embed but query users does not know (deleted) is written from its embedded copy, once', async () => {
    const client = new FakeStream([channel(1), channel(2)]);
    client.users = [{ id: 'u2', updated_at: OLD }];
    const result = await sync(client, {
      streams: [
        { name: 'messages', syncMode: 'incremental' },
        { name: 'users', syncMode: 'incremental' },
      ],
    });
    expect(result.error).toBeUndefined();
    const users = result.messages.filter((m) => m.type === 'RECORD' && m.record.stream === 'users').map((m) => m.record.data.id);
    expect(users).toEqual(['u2', 'u1']);
    expect(client.lookups).toEqual([['u1']]);
  });

  it('user_ids is accepted and ignored, with a WARN', async () => {
    const result = await sync(new FakeStream([channel(1)]), { config: { user_ids: ['u1'] } });
    expect(result.error).toBeUndefined();
    expect(result.warnings.some((line) => line.startsWith('user_ids is ignored'))).toBe(true);
  });

  it('a config error stops the sync and keeps the states of the batches written', async () => {
    const client = new FakeStream([channel(1), channel(2)]);
    client.refused.add('t:c2');
    const result = await sync(client, { config: { channels_per_export: 1, max_concurrent_exports: 1 } });
    expect(result.error).toBeInstanceOf(ConfigError);
    expect(result.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id)).toEqual(['m-c1']);
    // Every channel created before c2 (c1) is written: a resumed sync exports only c2 and what follows.
    expect(result.last).toMatchObject({ progress: { until: NOW.toISOString(), created_before: channel(2).created_at } });
    expect(
      result.messages
        .filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS')
        .map((m) => m.trace.stream_status.status)
        .at(-1),
    ).toBe('INCOMPLETE');
  });
});
