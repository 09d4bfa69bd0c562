import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import { connectionStatus, expectNotPrinted } from '../test/helpers/cli.js';
import { protocolValidator } from '../test/helpers/protocol-validator.js';
import {
  catalogOf,
  check,
  type Config,
  type ConfiguredCatalog,
  discover,
  expectCompleteRead,
  expectedRecordLines,
  futureState,
  groundTruthKeys,
  integrationFile,
  integrationFilePath,
  keyOf,
  messageKeys,
  PRIMARY_KEYS,
  read,
  type Read,
  SAMPLE_DATA_SET,
  type StateMessage,
  STREAMS,
  type StreamName,
} from './harness.js';

const sampleConfig = integrationFile<Config>('sample_config.json');

describe("integration_tests/ files (Airbyte's conventional ones) against the sample data set", () => {
  let emulator: Emulator;
  let config: Config;
  let fullRead: Promise<Read> | undefined;
  /** One read of the sample data set with configured_catalog.json, shared by the tests that need it. */
  const sampleRead = () => (fullRead ??= read({ config, catalog: integrationFile<ConfiguredCatalog>('configured_catalog.json') }));

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator({ ...SAMPLE_DATA_SET, taskLatencyMs: 50 });
    config = { ...sampleConfig, base_url: emulator.url, poll_interval_seconds: 0.05 };
  }, 120_000);
  afterAll(() => emulator.close());

  it('sample_config.json points at the emulator command of the sample data set, with its default credentials', () => {
    const command = `npm run emulator -- --port 3030 --seed ${SAMPLE_DATA_SET.seed} --channels ${SAMPLE_DATA_SET.channels} --messages-per-channel ${SAMPLE_DATA_SET.messagesPerChannel}`;
    expect(sampleConfig._comment).toContain(command);
    expect(sampleConfig).toMatchObject({ api_key: DEFAULT_API_KEY, api_secret: DEFAULT_API_SECRET, base_url: 'http://127.0.0.1:3030' });
  });

  it('configured_catalog.json lists the five discovered streams, incremental and append, with their cursor and primary keys', async () => {
    const discovered = await discover(config);
    const catalog = integrationFile<ConfiguredCatalog>('configured_catalog.json');
    expect(catalog.streams.map((entry) => entry.stream.name)).toEqual([...STREAMS]);
    for (const entry of catalog.streams) {
      const found = discovered.find((stream) => stream.name === entry.stream.name)!;
      const { json_schema: _ignored, ...declared } = found;
      expect(entry.stream).toMatchObject(declared);
      expect(entry).toMatchObject({
        sync_mode: 'incremental',
        destination_sync_mode: 'append',
        cursor_field: found.default_cursor_field,
        primary_key: found.source_defined_primary_key,
      });
      expect(found.source_defined_primary_key).toEqual(PRIMARY_KEYS[entry.stream.name].map((field) => [field]));
    }
  });

  it('check with sample_config.json answers SUCCEEDED', async () => {
    const result = await check(config);
    expect(result.exitCode).toBe(0);
    expect(connectionStatus(result).status).toBe('SUCCEEDED');
  });

  it('check with invalid_config.json answers FAILED, exits 0 and never prints the secret', async () => {
    const invalid = integrationFile<Config>('invalid_config.json');
    const { _comment: _ignored, ...shape } = invalid;
    expect(Object.keys(shape).sort()).toEqual(
      Object.keys(sampleConfig)
        .filter((key) => !key.startsWith('_'))
        .sort(),
    );
    expect(invalid.api_secret).not.toBe(DEFAULT_API_SECRET);
    const result = await check({ ...invalid, base_url: emulator.url });
    expect(result.exitCode).toBe(0);
    expect(connectionStatus(result).status).toBe('FAILED');
    expectNotPrinted(result, String(invalid.api_secret));
  });

  it('abnormal_state.json holds far-future instants for every stream', () => {
    expect(integrationFile('abnormal_state.json')).toEqual(futureState());
  });

  it('a read from abnormal_state.json prints no record and a state per stream', async () => {
    const result = await read({ config, catalog: catalogOf(), state: integrationFile('abnormal_state.json') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.byType('RECORD')).toEqual([]);
    for (const stream of STREAMS) expect(result.states(stream).length, stream).toBeGreaterThan(0);
  });

  it('every line of expected_records.jsonl is an AirbyteRecordMessage', () => {
    const validate = protocolValidator('AirbyteRecordMessage');
    const lines = readFileSync(integrationFilePath('expected_records.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(STREAMS.length);
    for (const line of lines) expect(validate(JSON.parse(line)), line).toBe(true);
  });

  it('a read of the sample data set contains every primary key of expected_records.jsonl', async () => {
    const result = await sampleRead();
    expectCompleteRead(result, STREAMS);
    const expected = expectedRecords();
    for (const stream of STREAMS) {
      const wanted = expected.filter((record) => record.stream === stream).map((record) => keyOf(stream, record.data));
      expect(wanted.length, stream).toBeGreaterThan(0);
      expect(result.keys(stream)).toEqual(expect.arrayContaining(wanted));
    }
  });

  it('expected_records.jsonl is what scripts/generate-expected-records.ts writes from a read today (rerun it after a record change)', async () => {
    const result = await sampleRead();
    const records = STREAMS.flatMap((stream) => result.records(stream).map((data) => ({ stream, data })));
    expect(expectedRecordLines(records).join('\n')).toBe(readFileSync(integrationFilePath('expected_records.jsonl'), 'utf8').trimEnd());
  });

  // sample_state.json is a state as version 0.1.0 wrote it: a cursor per channel (two channels only).
  it('a read from sample_state.json (a 0.1.0 state) honours its cursors and reads the channels it did not know whole', async () => {
    const state = integrationFile<StateMessage[]>('sample_state.json');
    const stateOf = (stream: StreamName) => state.find((entry) => entry.stream.stream_descriptor.name === stream)!.stream.stream_state;
    const cursors = stateOf('messages').cursors as Record<string, string>;
    const result = await read({ config, catalog: catalogOf(), state });
    expectCompleteRead(result, STREAMS);

    const expectedMessages = [...emulator.data.channels()].flatMap((channel) => {
      const cid = String(channel.cid);
      return [...emulator.data.messages({ cids: [cid], since: cursors[cid] })].map((message) => message.id);
    });
    expect(Object.keys(cursors).length).toBeGreaterThan(0);
    expect(result.keys('messages')).toEqual(messageKeys(expectedMessages));
    expect(result.keys('messages').length).toBeLessThan(groundTruthKeys(emulator, 'messages').length);

    const channelsSince = Date.parse(String(stateOf('channels').updated_at));
    const updatedChannels = [...emulator.data.channels()].filter((channel) => Date.parse(String(channel.updated_at)) > channelsSince);
    expect(result.keys('channels')).toEqual(updatedChannels.map((channel) => keyOf('channels', channel)).sort());
  });
});

function expectedRecords(): Array<{ stream: StreamName; data: Record<string, unknown> }> {
  return readFileSync(integrationFilePath('expected_records.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { stream: StreamName; data: Record<string, unknown> });
}
