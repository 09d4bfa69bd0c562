// The sample data set the conventional files describe, and how expected_records.jsonl is chosen from
// a read of it. Shared by the suite and scripts/generate-expected-records.ts, so it imports no vitest.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EmulatorOptions } from '../emulator/index.js';

export const STREAMS = ['channels', 'members', 'messages', 'reactions', 'users'] as const;
export type StreamName = (typeof STREAMS)[number];

/** DESIGN.md's primary keys, one list of top-level fields per stream. */
export const PRIMARY_KEYS: Readonly<Record<StreamName, readonly string[]>> = {
  channels: ['cid'],
  members: ['cid', 'user_id'],
  messages: ['id'],
  reactions: ['message_id', 'user_id', 'type'],
  users: ['id'],
};

/**
 * What sample_config.json points at:
 * `npm run emulator -- --port 3030 --seed 1 --channels 10 --messages-per-channel 100`.
 */
export const SAMPLE_DATA_SET = { seed: 1, channels: 10, messagesPerChannel: 100 } as const satisfies EmulatorOptions;

/** Cursors no data set reaches, written the way the connector writes cursors. */
export const FAR_FUTURE = '2999-01-01T00:00:00Z';

/** Records per stream in expected_records.jsonl: the first ones by primary key. */
const EXPECTED_PER_STREAM = 5;
/**
 * emitted_at of every expected record. A fixed value (the data set's end) keeps the file identical
 * across regenerations; Airbyte compares primary keys only.
 */
const EXPECTED_EMITTED_AT = Date.parse('2025-01-01T00:00:00Z');

const INTEGRATION_TESTS = new URL('./', import.meta.url);

export function integrationFilePath(name: string): string {
  return fileURLToPath(new URL(name, INTEGRATION_TESTS));
}

/** One of the JSON files of integration_tests/. */
export function integrationFile<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(integrationFilePath(name), 'utf8')) as T;
}

export function keyOf(stream: StreamName, data: Record<string, unknown>): string {
  return JSON.stringify(PRIMARY_KEYS[stream].map((field) => data[field]));
}

/** A STREAM state message, as state files hold them and STATE messages carry them. */
export interface StateMessage {
  type: 'STREAM';
  stream: { stream_descriptor: { name: string }; stream_state: Record<string, unknown> };
  sourceStats?: { recordCount: number };
}

export interface RecordOf {
  stream: StreamName;
  data: Record<string, unknown>;
}

/** The lines of expected_records.jsonl for the records of a full read of the sample data set. */
export function expectedRecordLines(records: readonly RecordOf[]): string[] {
  const lines: string[] = [];
  for (const stream of STREAMS) {
    const chosen = records
      .filter((record) => record.stream === stream)
      .map((record) => ({ key: keyOf(stream, record.data), data: record.data }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, EXPECTED_PER_STREAM);
    for (const { data } of chosen) lines.push(JSON.stringify({ stream, data, emitted_at: EXPECTED_EMITTED_AT }));
  }
  return lines;
}

/** The selection of a config without channel_types, channel_ids or exclude_channel_ids, as states record it. */
export const WHOLE_APP_SELECTION = { channel_types: [], channel_ids: [], exclude_channel_ids: [] } as const;

/** A STREAM state list with every instant at `at`: the abnormal state of a config selecting the whole app. */
export function futureState(at: string = FAR_FUTURE): StateMessage[] {
  const selection = WHOLE_APP_SELECTION;
  const stateOf: Record<StreamName, Record<string, unknown>> = {
    channels: { updated_at: at, cover: at, swept: at, lagging: {}, selection },
    members: { updated_at: at, cover: at, swept: at, lagging: {}, selection },
    messages: { cover: at, updated_at: at, swept: at, lagging: {}, selection },
    reactions: { cover: at, updated_at: at, swept: at, lagging: {}, selection },
    users: { cover: at, updated_at: at, swept: at },
  };
  return STREAMS.map((name) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: stateOf[name] } }));
}

/** The same in the shape version 0.1.0 wrote: a cursor per channel for messages and reactions. */
export function legacyFutureState(cids: readonly string[], at: string = FAR_FUTURE): StateMessage[] {
  const cursors = Object.fromEntries(cids.map((cid) => [cid, at]));
  const stateOf: Record<StreamName, Record<string, unknown>> = {
    channels: { updated_at: at, cids: [...cids] },
    members: { updated_at: at, cids: [...cids] },
    messages: { updated_at: at, cursors },
    reactions: { updated_at: at, cursors },
    users: { updated_at: at },
  };
  return STREAMS.map((name) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: stateOf[name] } }));
}
