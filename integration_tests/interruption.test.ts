import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import {
  catalogOf,
  configFor,
  describeRun,
  expectCompleteRead,
  expectStateAccounting,
  exportedCids,
  groundTruthKeys,
  read,
  SMALL_DATA_SET,
  spawnRead,
  STREAMS,
  union,
} from './harness.js';

describe('SIGTERM mid-read', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    await ensureBuilt();
    // One channel per export, one export at a time, slow tasks: a state every ~300 ms.
    emulator = await startEmulator({ ...SMALL_DATA_SET, taskLatencyMs: 300 });
  }, 120_000);
  afterAll(() => emulator.close());

  it('exits non-zero with no state after the signal, and the read resumed from its last states loses nothing', async () => {
    const config = configFor(emulator, { channels_per_export: 1, max_concurrent_exports: 1 });
    const run = spawnRead({ config, catalog: catalogOf() });
    let linesBeforeSignal = 0;
    run.child.stdout!.on('data', (text: string) => {
      if (!run.child.killed) linesBeforeSignal += text.split('\n').length - 1;
    });
    // The first states come after the users listing; wait for one that claims a channel written (every
    // channel created before an instant later than the first channel's).
    const first = Math.min(...[...emulator.data.channels()].map((channel) => Date.parse(String(channel.created_at))));
    await run.waitForMessage((message) => {
      const progress = message.type === 'STATE' ? (message.state.stream.stream_state.progress as { created_before?: string } | undefined) : undefined;
      return progress?.created_before !== undefined && Date.parse(progress.created_before) > first;
    });
    run.child.kill('SIGTERM');
    const interrupted = await run.result;

    expect(interrupted.exitCode, describeRun(interrupted)).toBe(143);
    const afterSignal = interrupted.messages.slice(linesBeforeSignal);
    expect(afterSignal.filter((message) => message.type === 'STATE' || message.type === 'RECORD')).toEqual([]);
    expect(interrupted.messages.at(-1)).toMatchObject({ type: 'TRACE', trace: { type: 'ERROR', error: { failure_type: 'transient_error' } } });
    expectStateAccounting(interrupted, STREAMS, { complete: false });
    // Channels are exported in created_at order; the state says how far in that order it got.
    const progress = interrupted.states('messages').at(-1)!.stream.stream_state.progress as { created_before: string };
    const saved = [...emulator.data.channels()]
      .filter((channel) => Date.parse(String(channel.created_at)) < Date.parse(progress.created_before))
      .map((channel) => String(channel.cid));
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThan(exportedCids(emulator).length);

    const resumed = await read({ config: configFor(emulator, { channels_per_export: 4 }), catalog: catalogOf(), state: interrupted.nextState() });
    expectCompleteRead(resumed, STREAMS);
    const unsaved = exportedCids(emulator).filter((cid) => !saved.includes(cid));
    expect(resumed.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: unsaved }));
    for (const stream of STREAMS) {
      expect(union(interrupted.keys(stream), resumed.keys(stream)), stream).toEqual(groundTruthKeys(emulator, stream));
    }
  }, 60_000);
});
