import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import {
  catalogOf,
  configFor,
  discover,
  expectCompleteRead,
  expectValidRecords,
  groundTruthKeys,
  read,
  type Read,
  recordValidators,
  SMALL_DATA_SET,
  STREAMS,
} from './harness.js';

describe('full refresh read of every stream (basic_read and full_refresh acceptance checks)', () => {
  let emulator: Emulator;
  let first: Read;

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(SMALL_DATA_SET);
    first = await read({ config: configFor(emulator, { channels_per_export: 5 }), catalog: catalogOf(STREAMS, 'full_refresh') });
  }, 120_000);
  afterAll(() => emulator.close());

  it('completes: statuses STARTED, RUNNING, COMPLETE; one STREAM state or more per stream that counts its records; no namespace', () => {
    expectCompleteRead(first, STREAMS);
    expect(first.states().length).toBeGreaterThan(STREAMS.length);
  });

  it("reads every stream's ground truth: the same primary keys, each once", () => {
    for (const stream of STREAMS) {
      const truth = groundTruthKeys(emulator, stream);
      expect(truth.length, stream).toBeGreaterThan(0);
      expect(first.keys(stream), stream).toEqual(truth);
    }
  });

  it('every record is valid against the json_schema discover gives its stream (draft-07, date-time, strict integers)', async () => {
    const validators = recordValidators(await discover(configFor(emulator)));
    expectValidRecords(first, validators);
  });

  it('a second full refresh reads the same records, every one emitted after the first read', async () => {
    const second = await read({ config: configFor(emulator), catalog: catalogOf(STREAMS, 'full_refresh') });
    expectCompleteRead(second, STREAMS);
    for (const stream of STREAMS) expect(second.keys(stream), stream).toEqual(first.keys(stream));
    const emittedAt = (result: Read) => result.byType('RECORD').map((message) => message.record.emitted_at as number);
    expect(Math.max(...emittedAt(first))).toBeLessThan(Math.min(...emittedAt(second)));
  });

  it('a catalog of two streams gives records, states and statuses of those two only', async () => {
    const two = ['members', 'messages'] as const;
    const result = await read({ config: configFor(emulator), catalog: catalogOf(two, 'full_refresh') });
    expectCompleteRead(result, two);
    for (const stream of two) expect(result.keys(stream), stream).toEqual(groundTruthKeys(emulator, stream));
  });
});
