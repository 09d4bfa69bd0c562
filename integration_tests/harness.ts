// The black-box harness: the built CLI run as a child process against the emulator, its output sorted
// by stream, and the checks Airbyte's acceptance tests and platform make on it (protocol doc §6.4, §3).
import type { ChildProcess } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterEach, expect } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions, type GroundTruthOptions } from '../emulator/index.js';
import { runCli, spawnCli } from '../test/helpers/cli.js';
import type { AirbyteMessage, CliResult } from '../test/helpers/cli.js';
import { integrationFile, keyOf, PRIMARY_KEYS, STREAMS } from './sample-data-set.js';
import type { StateMessage, StreamName } from './sample-data-set.js';

export {
  expectedRecordLines,
  futureState,
  legacyFutureState,
  integrationFile,
  integrationFilePath,
  keyOf,
  PRIMARY_KEYS,
  SAMPLE_DATA_SET,
  STREAMS,
} from './sample-data-set.js';
export type { StateMessage, StreamName } from './sample-data-set.js';

/** Several batches at a few channels per export, and a read well under a second. */
export const SMALL_DATA_SET = { seed: 7, channels: 12, messagesPerChannel: 40, taskLatencyMs: 30 } as const satisfies EmulatorOptions;

/** Generous: other suites share the two cores. */
const CLI_TIMEOUT_MS = 40_000;
/** Problems listed in a failure message; the rest are counted. */
const PROBLEMS_SHOWN = 10;

export type Config = Record<string, unknown>;
export type SyncMode = 'full_refresh' | 'incremental';

export interface ConfiguredStream {
  stream: { name: StreamName } & Record<string, unknown>;
  sync_mode: SyncMode;
  destination_sync_mode: string;
  [field: string]: unknown;
}

export interface ConfiguredCatalog {
  streams: ConfiguredStream[];
}

export type DataRecord = Record<string, any>;

export interface Read extends CliResult {
  /** One stream's records, in output order. */
  records(stream: StreamName): DataRecord[];
  /** One stream's primary keys (keyOf), sorted, repeats kept. */
  keys(stream: StreamName): string[];
  /** The STATE payloads, of one stream or of all, in output order. */
  states(stream?: StreamName): StateMessage[];
  /** One stream's STREAM_STATUS statuses, in output order. */
  statuses(stream: StreamName): string[];
  /** The next sync's input state as Airbyte builds it: the last state of each stream, without stats. */
  nextState(): StateMessage[];
  /** Each RECORD's stream with its stdout line, for checks that need the JSON text. */
  recordLines(): Array<{ stream: string; line: string }>;
}

export interface ReadInput {
  config: Config;
  catalog: ConfiguredCatalog;
  /** Written to state.json and passed with --state when given. */
  state?: unknown;
  /** The longest the read may take (default 40 s). */
  timeoutMs?: number;
}

export interface SpawnedRead {
  child: ChildProcess;
  waitForMessage(predicate: (message: AirbyteMessage) => boolean): Promise<AirbyteMessage>;
  result: Promise<Read>;
}

/** Starts an emulator of SMALL_DATA_SET (with `options`) for one test; each is closed after its test. */
export function emulatorPerTest(): (options?: EmulatorOptions) => Promise<Emulator> {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });
  return async (options = {}) => {
    const emulator = await startEmulator({ ...SMALL_DATA_SET, ...options });
    started.push(emulator);
    return emulator;
  };
}

/**
 * Waits until the emulator's clock is past the second it reads now: a sync's windows end at Stream's
 * `Date` header (whole seconds), so what a test wrote just before is inside the next sync's window.
 */
export async function pastTheSecond(emulator: Emulator): Promise<void> {
  const nowMs = emulator.data.clockMicros() / 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.floor(nowMs / 1000) * 1000 + 1000 - nowMs + 5));
}

/**
 * `step` run the first time a test asks for its result, the same promise after: tests that start where
 * an earlier step left off each ask for it, so any one of them runs alone, and the step runs once.
 */
export function once<T>(step: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= step());
}

/** A config for `emulator`: fast polls, anything else from `overrides`. */
export function configFor(emulator: Emulator, overrides: Config = {}): Config {
  return {
    api_key: emulator.apiKey,
    api_secret: emulator.apiSecret,
    base_url: emulator.url,
    poll_interval_seconds: 0.05,
    settle_margin_seconds: 0,
    ...overrides,
  };
}

/** configured_catalog.json narrowed to `streams`, each synced in `syncMode`. */
export function catalogOf(streams: readonly StreamName[] = STREAMS, syncMode: SyncMode = 'incremental'): ConfiguredCatalog {
  const file = integrationFile<ConfiguredCatalog>('configured_catalog.json');
  return {
    streams: streams.map((name) => {
      const entry = file.streams.find((candidate) => candidate.stream.name === name);
      if (entry === undefined) throw new Error(`integration_tests/configured_catalog.json has no stream ${name}`);
      return { ...entry, sync_mode: syncMode };
    }),
  };
}

/** `read` as a child process; the caller may signal it mid-run. */
export function spawnRead(input: ReadInput): SpawnedRead {
  const files: Record<string, unknown> = { 'config.json': input.config, 'catalog.json': input.catalog };
  const args = ['read', '--config', 'config.json', '--catalog', 'catalog.json'];
  if (input.state !== undefined) {
    files['state.json'] = input.state;
    args.push('--state', 'state.json');
  }
  const run = spawnCli(args, { files, timeoutMs: input.timeoutMs ?? CLI_TIMEOUT_MS });
  return { child: run.child, waitForMessage: run.waitForMessage, result: run.result.then(toRead) };
}

export function read(input: ReadInput): Promise<Read> {
  return spawnRead(input).result;
}

export function check(config: Config): Promise<CliResult> {
  return runCli(['check', '--config', 'config.json'], { files: { 'config.json': config }, timeoutMs: CLI_TIMEOUT_MS });
}

/** The streams of the one CATALOG `discover` prints. */
export async function discover(config: Config): Promise<DataRecord[]> {
  const result = await runCli(['discover', '--config', 'config.json'], { files: { 'config.json': config }, timeoutMs: CLI_TIMEOUT_MS });
  expect(result.exitCode, result.stdout).toBe(0);
  const catalogs = result.byType('CATALOG');
  expect(catalogs).toHaveLength(1);
  return catalogs[0]!.catalog.streams as DataRecord[];
}

/** The primary keys of the emulator's ground truth for one stream, sorted. */
export function groundTruthKeys(emulator: Emulator, stream: StreamName, options: GroundTruthOptions = {}): string[] {
  if (stream === 'users')
    return usersTruth(emulator, options)
      .map((user) => keyOf('users', user))
      .sort();
  return [...emulator.data[stream](options)].map((entity) => keyOf(stream, entity)).sort();
}

/**
 * The users a full read writes: every user query users lists (deactivated included, whatever the channel
 * selection), and the deleted users the selected channels still name, from the copy exports embed.
 */
export function usersTruth(emulator: Emulator, options: GroundTruthOptions = {}): Record<string, unknown>[] {
  return [...emulator.data.queryableUsers(), ...emulator.data.deletedUsers(options)];
}

/** The cids a sync of every channel exports (soft-deleted channels are not listed). */
export function exportedCids(emulator: Emulator): string[] {
  return [...emulator.data.channels()].map((channel) => String(channel.cid));
}

export function messageKeys(ids: Iterable<unknown>): string[] {
  return [...ids].map((id) => keyOf('messages', { id })).sort();
}

/** Sorted union of key lists, repeats dropped. */
export function union(...lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}

/** A few lines about a run for failure messages: its non-record messages' tail and stderr. */
export function describeRun(result: CliResult): string {
  const tail = result.messages.filter((message) => message.type !== 'RECORD').slice(-15);
  return `exit ${result.exitCode}\n${tail.map((message) => JSON.stringify(message)).join('\n')}\nstderr: ${result.stderr.slice(-2000)}`;
}

/**
 * The checks of a successful read of `streams`, as Airbyte's basic_read and platform make them: exit 0
 * and no error; records only of those streams; states and statuses for exactly those; STARTED, RUNNING…, COMPLETE per
 * stream; state accounting (expectStateAccounting) with nothing left after a stream's last state;
 * envelopes (expectEnvelopes); primary keys that are scalars, present, and unique per stream.
 */
export function expectCompleteRead(read: Read, streams: readonly StreamName[]): void {
  expect(read.errors(), describeRun(read)).toEqual([]);
  expect(read.exitCode, describeRun(read)).toBe(0);
  const strangers = streamsOf(read.byType('RECORD').map((message) => message.record.stream)).filter((name) => !streams.includes(name as StreamName));
  expect(strangers, 'records of streams not in the catalog').toEqual([]);
  expectStatuses(read, streams, 'COMPLETE');
  expectStateAccounting(read, streams, { complete: true });
  expectEnvelopes(read);
  for (const stream of streams) {
    const problems = read.records(stream).flatMap((data) => primaryKeyProblems(stream, data));
    expect(shown(problems), `${stream} primary keys`).toEqual([]);
    expect(repeated(read.keys(stream)), `${stream} primary keys seen twice`).toEqual([]);
  }
}

/** Every configured stream, and only those, reports STARTED, then RUNNING at least once, then `last`. */
export function expectStatuses(read: Read, streams: readonly StreamName[], last: 'COMPLETE' | 'INCOMPLETE'): void {
  const described = read
    .byType('TRACE')
    .filter((message) => message.trace.type === 'STREAM_STATUS')
    .map((message) => message.trace.stream_status.stream_descriptor.name as string);
  expect(streamsOf(described)).toEqual(streamsOf(streams));
  for (const stream of streams) {
    const statuses = read.statuses(stream);
    expect(statuses[0], `first status of ${stream}`).toBe('STARTED');
    expect(statuses.at(-1), `last status of ${stream}`).toBe(last);
    expect(statuses.slice(1, -1).length, `RUNNING statuses of ${stream}`).toBeGreaterThan(0);
    expect(new Set(statuses.slice(1, -1)), `statuses of ${stream}`).toEqual(new Set(['RUNNING']));
  }
}

/**
 * State accounting: at least one STREAM state per configured stream and none for others, each with
 * sourceStats.recordCount equal to that stream's records since its previous state, and no state
 * repeated without a record between (Airbyte fails such syncs). `complete`: no record after a stream's
 * last state, so the per-stream sums equal the record counts.
 */
export function expectStateAccounting(read: Read, streams: readonly StreamName[], options: { complete: boolean }): void {
  const since = new Map<string, number>();
  const previous = new Map<string, string>();
  const problems: string[] = [];
  for (const message of read.messages) {
    if (message.type === 'RECORD') since.set(message.record.stream, (since.get(message.record.stream) ?? 0) + 1);
    if (message.type !== 'STATE') continue;
    const state = message.state as StateMessage;
    const name = state.stream?.stream_descriptor?.name;
    const count = since.get(name) ?? 0;
    const text = JSON.stringify(state.stream?.stream_state);
    if (state.type !== 'STREAM') problems.push(`a ${String(state.type)} state`);
    if (!streams.includes(name as StreamName)) problems.push(`a state of stream ${name}, which is not configured`);
    if (state.sourceStats?.recordCount !== count)
      problems.push(`${name} state says ${state.sourceStats?.recordCount} record(s), ${count} came since the previous`);
    if (count === 0 && previous.get(name) === text) problems.push(`${name} state ${text} repeated without a record between`);
    previous.set(name, text);
    since.set(name, 0);
  }
  for (const stream of streams) {
    if (read.states(stream).length === 0) problems.push(`no state of ${stream}`);
    if (options.complete && (since.get(stream) ?? 0) > 0) problems.push(`${since.get(stream)} ${stream} record(s) after its last state`);
  }
  expect(shown(problems), 'state accounting').toEqual([]);
}

/** Integer emitted_at on records, numeric on traces, and no namespace on any record, state or trace. */
function expectEnvelopes(read: Read): void {
  const problems: string[] = [];
  for (const message of read.messages) {
    if (message.type === 'RECORD') {
      if (!Number.isInteger(message.record.emitted_at)) problems.push(`record emitted_at ${message.record.emitted_at}`);
      if ('namespace' in message.record) problems.push(`a ${message.record.stream} record with a namespace`);
    } else {
      if (message.type === 'TRACE' && typeof message.trace.emitted_at !== 'number') problems.push(`trace emitted_at ${message.trace.emitted_at}`);
      if (JSON.stringify(message).includes('"namespace":')) problems.push(`a namespace in ${JSON.stringify(message)}`);
    }
  }
  expect(shown(problems), 'message envelopes').toEqual([]);
}

/**
 * A validator per stream of its discovered json_schema, as CAT applies them: draft-07, `date-time`
 * checked (RFC 3339 with an offset), unknown keywords such as airbyte_type ignored.
 */
export function recordValidators(discovered: readonly DataRecord[]): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv, formats: string[]) => Ajv;
  addFormats(ajv, ['date-time']);
  return new Map(discovered.map((stream) => [stream.name as string, ajv.compile(stream.json_schema as object)]));
}

/** Every record valid against its stream's schema, integers strict as CAT reads them (parseLikePython). */
export function expectValidRecords(read: Read, validators: Map<string, ValidateFunction>): void {
  const problems: string[] = [];
  for (const { stream, line } of read.recordLines()) {
    const validate = validators.get(stream);
    const data = parseLikePython(line).record.data as DataRecord;
    if (validate === undefined) problems.push(`no schema for stream ${stream}`);
    else if (!validate(data)) {
      const errors = (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`).join(', ');
      problems.push(`${stream} ${keyOf(stream as StreamName, data)}: ${errors}`);
    }
  }
  expect(shown(problems), 'records against their schemas').toEqual([]);
}

export interface SliceCheckpoint {
  /** The state input of the read: every stream's latest non-empty state so far, as CAT accumulates it. */
  input: StateMessage[];
  /** The records that read must return at least. */
  expected: number;
}

/** Checkpoints tested among the unique states: at least this many when there are enough. */
const MIN_BATCHES_TO_TEST = 5;

/**
 * The checkpoints CAT's test_read_sequential_slices reads back, from one stream's states of a full read.
 * Runs of identical consecutive states count as their first, with the run's record counts summed (the
 * read's last state stands apart when it differs); states that count no record are dropped; each kept
 * state expects the records after it: the total minus the counts up to and including its own. Fewer
 * than 3 kept: only the last is tested; else every (kept / 5)-th, never the first nor the last. A
 * single state is tested expecting nothing, as CAT does.
 */
export function sequentialSliceCheckpoints(states: readonly StateMessage[]): SliceCheckpoint[] {
  const count = (state: StateMessage) => state.sourceStats?.recordCount ?? 0;
  const same = (a: StateMessage, b: StateMessage) => isDeepStrictEqual(a.stream.stream_state, b.stream.stream_state);
  let kept: Array<{ state: StateMessage; expected: number }>;
  if (states.length <= 1) {
    kept = states.filter((state) => count(state) !== 0).map((state) => ({ state, expected: 0 }));
  } else {
    const runs: Array<{ state: StateMessage; count: number }> = [];
    const last = states.length - 1;
    for (let current = 0; current < last;) {
      let next = current + 1;
      while (same(states[current]!, states[next]!) && next < last) next += 1;
      runs.push({ state: states[current]!, count: states.slice(current, next).reduce((sum, state) => sum + count(state), 0) });
      if (next === last && !same(states[current]!, states[next]!)) runs.push({ state: states[next]!, count: count(states[next]!) });
      current = next;
    }
    const counted = runs.filter((run) => run.count !== 0);
    const total = counted.reduce((sum, run) => sum + run.count, 0);
    let before = 0;
    kept = counted.map((run) => {
      before += run.count;
      return { state: run.state, expected: total - before };
    });
  }
  let chosen = kept.slice(-1);
  if (kept.length >= 3) {
    const rate = Math.floor(kept.length / MIN_BATCHES_TO_TEST) || 1;
    chosen = kept.filter((_, index) => index !== 0 && index % rate === 0 && index !== kept.length - 1);
  }
  const latest = new Map<string, Record<string, unknown>>();
  return chosen.map(({ state, expected }) => {
    const { stream_descriptor: descriptor, stream_state: streamState } = state.stream;
    if (streamState !== null && Object.keys(streamState).length > 0) latest.set(descriptor.name, streamState);
    return { input: [...latest].map(([name, value]) => streamStateMessage(name, value)), expected };
  });
}

// A string token, or a number token; strings come first so digits inside them are never numbers.
const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * JSON.parse as Python's json sees numbers for CAT's strict integer check: a number written with a
 * fraction or exponent is a float even when whole (`1.0`), and no `integer` accepts it. Such numbers
 * become 0.5, a float to any reader.
 */
export function parseLikePython(line: string): DataRecord {
  const marked = line.replace(JSON_TOKEN, (token) => (token.startsWith('"') || !/[.eE]/.test(token) || !Number.isInteger(Number(token)) ? token : '0.5'));
  return JSON.parse(marked) as DataRecord;
}

/** The check CAT's abnormal-state test makes of string cursors: same length, letters, digits and punctuation. */
export function sameCursorShape(actual: string, expected: string): boolean {
  if (actual.length !== expected.length) return false;
  const kind = (character: string) => (/\p{L}/u.test(character) ? 'letter' : /\d/.test(character) ? 'digit' : character);
  return [...actual].every((character, index) => kind(character) === kind(expected[index]!));
}

function primaryKeyProblems(stream: StreamName, data: DataRecord): string[] {
  return PRIMARY_KEYS[stream].flatMap((field) => {
    const value = data[field];
    if (value === null || value === undefined) return [`${stream} ${keyOf(stream, data)}: no ${field}`];
    return typeof value === 'object' ? [`${stream} ${keyOf(stream, data)}: ${field} is an object or array`] : [];
  });
}

function toRead(result: CliResult): Read {
  const lines = result.stdout.split('\n');
  const records = result.byType('RECORD');
  const states = result.byType('STATE').map((message) => message.state as StateMessage);
  const recordsOf = (stream: StreamName) => records.filter((message) => message.record.stream === stream).map((message) => message.record.data as DataRecord);
  return {
    ...result,
    records: recordsOf,
    keys: (stream) =>
      recordsOf(stream)
        .map((data) => keyOf(stream, data))
        .sort(),
    states: (stream) => (stream === undefined ? states : states.filter((state) => state.stream.stream_descriptor.name === stream)),
    statuses: (stream) =>
      result
        .byType('TRACE')
        .filter((message) => message.trace.type === 'STREAM_STATUS' && message.trace.stream_status.stream_descriptor.name === stream)
        .map((message) => message.trace.stream_status.status as string),
    nextState: () => lastStates(states),
    recordLines: () =>
      result.messages.flatMap((message, index) => (message.type === 'RECORD' ? [{ stream: message.record.stream as string, line: lines[index]! }] : [])),
  };
}

function lastStates(states: readonly StateMessage[]): StateMessage[] {
  const last = new Map<string, Record<string, unknown>>();
  for (const state of states) last.set(state.stream.stream_descriptor.name, state.stream.stream_state);
  return [...last].map(([name, streamState]) => streamStateMessage(name, streamState));
}

function streamStateMessage(name: string, streamState: Record<string, unknown>): StateMessage {
  return { type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: streamState } };
}

function streamsOf(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

function repeated(keys: readonly string[]): string[] {
  return shown(keys.filter((key, index) => index > 0 && keys[index - 1] === key));
}

function shown(problems: readonly string[]): string[] {
  if (problems.length <= PROBLEMS_SHOWN) return [...problems];
  return [...problems.slice(0, PROBLEMS_SHOWN), `… and ${problems.length - PROBLEMS_SHOWN} more`];
}
