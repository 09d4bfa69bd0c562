import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, TransientError } from '../../src/errors.js';
import { airbyteMessageSchema } from '../helpers/airbyte-messages.js';
import { MessageWriter } from '../../src/protocol/writer.js';
import { assertValidMessage } from '../helpers/protocol-validator.js';

/** A stdout stand-in that keeps what it was given; `delayMs` makes it a slow reader. */
function sink(options: { highWaterMark?: number; delayMs?: number } = {}) {
  const chunks: string[] = [];
  let writeCalls = 0;
  const stream = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      writeCalls += 1;
      chunks.push(chunk.toString('utf8'));
      if (options.delayMs === undefined) done();
      else setTimeout(done, options.delayMs);
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    writeCalls: () => writeCalls,
    messages: () =>
      chunks
        .join('')
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line) as Record<string, any>),
  };
}

describe('MessageWriter', () => {
  it('writes one valid Airbyte message per line, never pretty-printed', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    void writer.record('messages', { id: 'm1', text: 'multi\nline "quoted"', nested: { a: [1, 2] } });
    void writer.state('messages', { cursors: { 'messaging:general': '2024-01-01T00:00:00.000Z' } });
    void writer.streamStatus('messages', 'STARTED');
    void writer.log('INFO', 'hello\nworld');
    void writer.estimate('messages', 41.6);
    void writer.error(new TransientError('Stream answered 503'), 'messages');
    void writer.spec({ connectionSpecification: { type: 'object' } });
    void writer.catalog([{ name: 'users', json_schema: {}, supported_sync_modes: ['full_refresh'] }]);
    void writer.connectionStatus('SUCCEEDED');
    await writer.flush();

    const lines = out.text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(9);
    for (const line of lines) {
      const message = JSON.parse(line) as unknown;
      assertValidMessage(message);
      expect(airbyteMessageSchema.safeParse(message).success).toBe(true);
    }
    expect(out.messages().map((m) => m.type)).toEqual(['RECORD', 'STATE', 'TRACE', 'LOG', 'TRACE', 'TRACE', 'SPEC', 'CATALOG', 'CONNECTION_STATUS']);
  });

  it('stamps records with an integer emitted_at from the clock and never writes a namespace', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    const before = Date.now();
    void writer.record('users', { id: 'u1' });
    void writer.state('users', { updated_at: '2024-01-01T00:00:00.000Z' });
    void writer.streamStatus('users', 'RUNNING');
    await writer.flush();
    const [record, state, status] = out.messages();
    expect(Number.isInteger(record!.record.emitted_at)).toBe(true);
    expect(record!.record.emitted_at).toBeGreaterThanOrEqual(before);
    expect(record!.record.emitted_at).toBeLessThanOrEqual(Date.now());
    expect(out.text()).not.toContain('namespace');
    expect(state!.state.stream.stream_descriptor).toEqual({ name: 'users' });
    expect(status!.trace.stream_status.stream_descriptor).toEqual({ name: 'users' });
  });

  it("counts each stream's records since that stream's previous state", async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    void writer.record('messages', { id: 'a' });
    void writer.record('users', { id: 'u' });
    void writer.record('messages', { id: 'b' });
    void writer.state('messages', { cursors: {} });
    void writer.state('users', { updated_at: 'x' });
    void writer.state('messages', { cursors: {} });
    void writer.state('channels', { updated_at: 'y' });
    await writer.flush();
    const counts = out
      .messages()
      .filter((m) => m.type === 'STATE')
      .map((m) => [m.state.stream.stream_descriptor.name, m.state.sourceStats.recordCount]);
    expect(counts).toEqual([
      ['messages', 2],
      ['users', 1],
      ['messages', 0],
      ['channels', 0],
    ]);
    expect(out.text()).toContain('"recordCount":2.0');
    expect(out.messages().every((m) => m.type !== 'STATE' || m.state.type === 'STREAM')).toBe(true);
  });

  it('masks every registered secret in LOG, TRACE and CONNECTION_STATUS texts', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream, { secrets: ['s3cr3t-value'] });
    writer.addSecret('second"secret');
    writer.addSecret('');
    void writer.log('WARN', 'signing with s3cr3t-value');
    void writer.error(new ConfigError('bad secret s3cr3t-value', { cause: new Error('inner second"secret') }));
    void writer.error(new Error('oops s3cr3t-value'));
    void writer.connectionStatus('FAILED', 'auth failed for second"secret');
    await writer.flush();
    expect(out.text()).not.toContain('s3cr3t-value');
    expect(out.text()).not.toContain('second\\"secret');
    expect(out.text()).toContain('****');
    const [, trace] = out.messages();
    expect(trace!.trace.error.message).toBe('bad secret ****');
    expect(trace!.trace.error.internal_message).toContain('inner ****');
    expect(trace!.trace.error.stack_trace).not.toContain('s3cr3t');
  });

  it('turns an error into a TRACE ERROR with its failure_type, stream, context, cause and stack', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    const cause = new Error('socket hang up');
    void writer.error(new TransientError('Export task failed', { cause, context: { taskId: 't-1', status: 503 } }), 'messages');
    void writer.error(new TypeError('x is undefined'));
    void writer.error('a thrown string');
    await writer.flush();
    const [transient, bug, text] = out.messages().map((m) => m.trace.error);
    expect(transient).toMatchObject({ message: 'Export task failed', failure_type: 'transient_error', stream_descriptor: { name: 'messages' } });
    expect(transient.internal_message).toContain('TransientError: Export task failed {"taskId":"t-1","status":503}');
    expect(transient.internal_message).toContain('caused by: Error: socket hang up');
    expect(transient.stack_trace).toContain('Caused by: Error: socket hang up');
    expect(bug).toMatchObject({ message: 'Unexpected error: TypeError: x is undefined', failure_type: 'system_error' });
    expect(bug.stream_descriptor).toBeUndefined();
    expect(text).toMatchObject({ message: 'Unexpected error: a thrown string', failure_type: 'system_error' });
  });

  it('reports a rate limit on a stream status with the reset time in epoch ms', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    void writer.streamStatus('messages', 'RUNNING', new Date('2030-01-01T00:00:00.000Z'));
    void writer.estimate('messages', 1234);
    await writer.flush();
    const [status, estimate] = out.messages();
    expect(status!.trace.stream_status.reasons).toEqual([{ type: 'RATE_LIMITED', rate_limited: { quota_reset: 1893456000000 } }]);
    expect(estimate!.trace.estimate).toEqual({ name: 'messages', type: 'STREAM', row_estimate: 1234 });
  });

  it('escapes the characters that line readers other than JSON take for line breaks', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    void writer.record('messages', { text: 'a\u2028b\u2029c\u0085d' });
    await writer.flush();
    expect(out.text()).not.toMatch(/[\u2028\u2029\u0085]/);
    expect(out.text().split('\n')).toHaveLength(2);
    expect(out.messages()[0]!.record.data.text).toBe('a\u2028b\u2029c\u0085d');
  });

  it("writes a record's JSON bytes as given, escapes and all, in order with the others", async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    const json = Buffer.from('{"id":"m1","html":"\\u003cp\\u003ecafé\\u003c/p\\u003e"}');
    void writer.record('messages', { id: 'm0' });
    void writer.record('messages', { id: 'm1', html: '<p>café</p>' }, json);
    void writer.record('messages', { id: 'm2' });
    await writer.flush();
    expect(out.text().split('\n')[1]).toMatch(
      /^\{"type":"RECORD","record":\{"stream":"messages","data":\{"id":"m1","html":"\\u003cp\\u003ecafé\\u003c\/p\\u003e"\},"emitted_at":\d+\}\}$/,
    );
    expect(out.messages().map((m) => m.record.data.id)).toEqual(['m0', 'm1', 'm2']);
    for (const message of out.messages()) assertValidMessage(message);
  });

  it('escapes the line-break characters inside JSON bytes too, in small and in large records', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    const small = { text: 'a\u2028b\u2029c\u0085d – “e”…' };
    const large = { text: `${'x'.repeat(100 * 1024)}\u2028\u2029\u0085` };
    void writer.record('messages', small, Buffer.from(JSON.stringify(small)));
    void writer.record('messages', large, Buffer.from(JSON.stringify(large)));
    await writer.flush();
    expect(out.text()).not.toMatch(/[\u2028\u2029\u0085]/);
    expect(out.messages().map((m) => m.record.data.text)).toEqual([small.text, large.text]);
  });

  it('writes a record larger than a chunk whole, after what came before it', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    const large = { id: 'big', text: 'y'.repeat(200 * 1024) };
    void writer.log('INFO', 'before');
    void writer.record('messages', large, Buffer.from(JSON.stringify(large)));
    void writer.record('messages', { id: 'big2', text: 'z'.repeat(200 * 1024) });
    void writer.log('INFO', 'after');
    await writer.flush();
    expect(out.messages().map((m) => m.log?.message ?? m.record.data.id)).toEqual(['before', 'big', 'big2', 'after']);
  });

  it('reads the clock once per chunk of records, not once per record', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    const now = vi.spyOn(Date, 'now');
    try {
      for (let i = 0; i < 5000; i += 1) void writer.record('messages', { id: `m${i}`, text: 'hello' });
      await writer.flush();
      expect(now.mock.calls.length).toBeLessThan(20);
    } finally {
      now.mockRestore();
    }
    const stamps = new Set(out.messages().map((m) => m.record.emitted_at as number));
    expect(stamps.size).toBeLessThan(20);
  });

  it('gathers small messages into few write calls', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    for (let i = 0; i < 10_000; i += 1) await writer.record('messages', { id: `m${i}`, text: 'hello' });
    await writer.flush();
    expect(out.messages()).toHaveLength(10_000);
    expect(out.writeCalls()).toBeLessThan(20);
  });

  it('writes a message left alone without waiting for flush', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    void writer.log('INFO', 'polling the export task');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(out.messages()).toHaveLength(1);
  });

  it('makes a slow reader slow the writer down instead of growing memory', async () => {
    const out = sink({ highWaterMark: 16 * 1024, delayMs: 1 });
    const writer = new MessageWriter(out.stream);
    const text = 'x'.repeat(1000);
    let promises = 0;
    let maxBuffered = 0;
    for (let i = 0; i < 3000; i += 1) {
      const result = writer.record('messages', { id: i, text });
      maxBuffered = Math.max(maxBuffered, out.stream.writableLength);
      if (result !== undefined) {
        promises += 1;
        await result;
      }
    }
    await writer.flush();
    expect(promises).toBeGreaterThan(10);
    // About 3 MB went through; at most one chunk (64 KiB) plus one record sat in the stream's buffer.
    expect(maxBuffered).toBeLessThan(16 * 1024 + 64 * 1024 + 2 * 1024);
    expect(out.messages()).toHaveLength(3000);
  });

  it('resolves flush only once the stream has taken everything', async () => {
    const out = sink({ highWaterMark: 1024, delayMs: 5 });
    const writer = new MessageWriter(out.stream);
    for (let i = 0; i < 200; i += 1) void writer.record('messages', { id: i, text: 'y'.repeat(500) });
    void writer.state('messages', { cursors: {} });
    await writer.flush();
    expect(out.stream.writableLength).toBe(0);
    const messages = out.messages();
    expect(messages).toHaveLength(201);
    expect(messages.at(-1)!.type).toBe('STATE');
  });

  it('drops records and states after an interruption, but still writes logs and traces', async () => {
    const out = sink();
    const writer = new MessageWriter(out.stream);
    void writer.record('users', { id: 'u1' });
    writer.interrupt();
    expect(writer.record('users', { id: 'u2' })).toBeUndefined();
    void writer.state('users', { updated_at: 'x' });
    void writer.log('INFO', 'stopping');
    void writer.error(new TransientError('interrupted by SIGTERM'));
    await writer.flush();
    expect(out.messages().map((m) => m.type)).toEqual(['RECORD', 'LOG', 'TRACE']);
  });

  it('rejects pending and later writes once stdout fails, without unhandled rejections', async () => {
    const stream = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        setTimeout(() => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), 1);
      },
    });
    const writer = new MessageWriter(stream);
    const pending = writer.record('users', { id: 'u1' });
    void writer.log('INFO', 'ignored result');
    await expect(writer.flush()).rejects.toThrow('EPIPE');
    expect(pending).toBeUndefined();
    await expect(writer.record('users', { id: 'u2' })).rejects.toThrow('EPIPE');
  });
});
