import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { airbyteMessageSchema, configuredCatalogSchema, stateFileSchema } from '../helpers/airbyte-messages.js';
import { MessageWriter } from '../../src/protocol/writer.js';
import { messageProblems, protocolValidator } from '../helpers/protocol-validator.js';

const stream = { name: 'users', json_schema: { type: 'object' }, supported_sync_modes: ['full_refresh', 'incremental'] };

const valid: Record<string, unknown> = {
  record: { type: 'RECORD', record: { stream: 'users', data: { id: 'u1' }, emitted_at: 1700000000000 } },
  state: {
    type: 'STATE',
    state: { type: 'STREAM', stream: { stream_descriptor: { name: 'users' }, stream_state: { updated_at: 'x' } }, sourceStats: { recordCount: 2 } },
  },
  log: { type: 'LOG', log: { level: 'WARN', message: 'careful' } },
  error: { type: 'TRACE', trace: { type: 'ERROR', emitted_at: 1.5, error: { message: 'boom', failure_type: 'config_error' } } },
  estimate: { type: 'TRACE', trace: { type: 'ESTIMATE', emitted_at: 1, estimate: { name: 'users', type: 'STREAM', row_estimate: 10 } } },
  status: {
    type: 'TRACE',
    trace: {
      type: 'STREAM_STATUS',
      emitted_at: 1,
      stream_status: { stream_descriptor: { name: 'users' }, status: 'RUNNING', reasons: [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: 5 } }] },
    },
  },
  spec: { type: 'SPEC', spec: { documentationUrl: 'https://example.com/docs', connectionSpecification: { type: 'object' }, protocol_version: '0.2.0' } },
  connectionStatus: { type: 'CONNECTION_STATUS', connectionStatus: { status: 'FAILED', message: 'no' } },
  catalog: { type: 'CATALOG', catalog: { streams: [stream] } },
};

const invalid: Record<string, unknown> = {
  'a fractional emitted_at on a record': { type: 'RECORD', record: { stream: 'users', data: {}, emitted_at: 1.5 } },
  'a record without data': { type: 'RECORD', record: { stream: 'users', emitted_at: 1 } },
  'an unknown log level': { type: 'LOG', log: { level: 'VERBOSE', message: 'x' } },
  'an unknown failure type': { type: 'TRACE', trace: { type: 'ERROR', emitted_at: 1, error: { message: 'x', failure_type: 'oops' } } },
  'a trace without emitted_at': { type: 'TRACE', trace: { type: 'ERROR', error: { message: 'x' } } },
  'an unknown connection status': { type: 'CONNECTION_STATUS', connectionStatus: { status: 'OK' } },
  'a stream without sync modes': { type: 'CATALOG', catalog: { streams: [{ ...stream, supported_sync_modes: [] }] } },
  'an unknown state type': { type: 'STATE', state: { type: 'WHATEVER' } },
  'a status reason of an unknown type': {
    type: 'TRACE',
    trace: { type: 'STREAM_STATUS', emitted_at: 1, stream_status: { stream_descriptor: { name: 'users' }, status: 'RUNNING', reasons: [{ type: 'SLOW' }] } },
  },
};

describe('the zod message types agree with the official protocol schema', () => {
  for (const [name, message] of Object.entries(valid)) {
    it(`both accept a valid ${name} message`, () => {
      expect(messageProblems(message)).toEqual([]);
      expect(airbyteMessageSchema.safeParse(message).success).toBe(true);
    });
  }

  for (const [name, message] of Object.entries(invalid)) {
    it(`both reject ${name}`, () => {
      expect(messageProblems(message)).not.toEqual([]);
      expect(airbyteMessageSchema.safeParse(message).success).toBe(false);
    });
  }

  it('both accept a configured catalog and reject a bad sync_mode', () => {
    const catalog = { streams: [{ stream, sync_mode: 'incremental', destination_sync_mode: 'append_dedup', cursor_field: ['updated_at'] }] };
    expect(protocolValidator('ConfiguredAirbyteCatalog')(catalog)).toBe(true);
    expect(configuredCatalogSchema.safeParse(catalog).success).toBe(true);
    const bad = { streams: [{ ...catalog.streams[0], sync_mode: 'INVALID' }] };
    expect(protocolValidator('ConfiguredAirbyteCatalog')(bad)).toBe(false);
    expect(configuredCatalogSchema.safeParse(bad).success).toBe(false);
  });

  it('reads a state file of STREAM and GLOBAL messages, and more leniently a null stream_state', () => {
    const file = [
      (valid.state as { state: unknown }).state,
      { type: 'GLOBAL', global: { stream_states: [{ stream_descriptor: { name: 'users' }, stream_state: {} }] } },
    ];
    for (const state of file) expect(protocolValidator('AirbyteStateMessage')(state)).toBe(true);
    expect(stateFileSchema.safeParse(file).success).toBe(true);
    // The schema types stream_state as an object, but a reset stream arrives with null.
    const reset = [{ type: 'STREAM', stream: { stream_descriptor: { name: 'users' }, stream_state: null } }];
    expect(protocolValidator('AirbyteStateMessage')(reset[0])).toBe(false);
    expect(stateFileSchema.safeParse(reset).success).toBe(true);
  });

  it('gets a valid message out of the writer for any record and state (property)', async () => {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString('utf8');
        done();
      },
    });
    const writer = new MessageWriter(out);
    const data = fc.dictionary(fc.string(), fc.jsonValue());
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), data, data, async (name, record, state) => {
        text = '';
        void writer.record(name, record);
        void writer.state(name, state);
        await writer.flush();
        const lines = text.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(2);
        for (const line of lines) {
          const message = JSON.parse(line) as unknown;
          expect(messageProblems(message)).toEqual([]);
          expect(airbyteMessageSchema.safeParse(message).success).toBe(true);
        }
        expect((JSON.parse(lines[0]!) as { record: { data: unknown } }).record.data).toEqual(JSON.parse(JSON.stringify(record)));
      }),
      { numRuns: 200 },
    );
  });
});
