// The connector against a Stream as strict as its published API, with clocks and file hosts as they
// are in production: ties in Stream's own order, a clock apart from the host's, chunked files from a
// host that ignores Range, a file cut in its last line, a task status nobody documented.
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import {
  catalogOf,
  configFor,
  describeRun,
  expectCompleteRead,
  groundTruthKeys,
  keyOf,
  messageKeys,
  pastTheSecond,
  read,
  spawnRead,
  type Config,
  type Read,
  emulatorPerTest,
  exportedCids,
} from './harness.js';

const emulatorWith = emulatorPerTest();

function repeated(keys: readonly string[]): string[] {
  return keys.filter((key, index) => keys.indexOf(key) !== index);
}

describe('listing by documented query channels only', () => {
  it('a selection grown from one type to all reads the other types whole, with no undocumented operator', async () => {
    const emulator = await emulatorWith();
    const first = await read({ config: configFor(emulator, { channel_types: ['team'] }), catalog: catalogOf(['messages']) });
    expectCompleteRead(first, ['messages']);
    const next = await read({ config: configFor(emulator), catalog: catalogOf(['messages']), state: first.nextState() });
    expectCompleteRead(next, ['messages']);
    const others = [...emulator.data.channels()].map((channel) => String(channel.cid)).filter((cid) => !cid.startsWith('team:'));
    expect(next.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: others }));
    expect(repeated([...first.keys('messages'), ...next.keys('messages')])).toEqual([]);
  }, 120_000);
});

/**
 * Three syncs in a row with new messages before each: every message Stream stamped up to the last
 * state's cover is written exactly once, none after it (they come with a later sync).
 */
async function threeSyncs(emulator: Emulator, config: Config): Promise<{ written: string[]; cover: string; reads: Read[] }> {
  const reads: Read[] = [];
  let state: unknown;
  const cids = [...emulator.data.channels()].map((channel) => String(channel.cid));
  for (let round = 0; round < 3; round += 1) {
    emulator.data.addMessages(cids[round] as string, 2);
    const result = await read({ config, catalog: catalogOf(['messages']), state });
    expectCompleteRead(result, ['messages']);
    reads.push(result);
    state = result.nextState();
  }
  const last = reads.at(-1)!.states('messages').at(-1)!.stream.stream_state as { cover: string };
  return { written: reads.flatMap((result) => result.keys('messages')).sort(), cover: last.cover, reads };
}

function coveredTruth(emulator: Emulator, cover: string): string[] {
  return messageKeys(
    [...emulator.data.messages()].filter((message) => Date.parse(String(message.created_at)) <= Date.parse(cover)).map((message) => message.id),
  );
}

describe("windows end at Stream's clock", () => {
  it("with Stream's clock 30 s behind the host's, three syncs lose no message and write none twice", async () => {
    const emulator = await emulatorWith({ clockOffsetMs: -30_000 });
    const { written, cover, reads } = await threeSyncs(emulator, configFor(emulator));
    expect(repeated(written)).toEqual([]);
    expect(written).toEqual(coveredTruth(emulator, cover));
    const warnings = reads[0]!.byType('LOG').map((message) => String(message.log.message));
    expect(warnings.some((line) => /Stream's clock is about \d+ s behind this host's/.test(line))).toBe(true);
  }, 120_000);

  it("with Stream's clock 1 s behind the host's and no settle margin, a message and a user edit stamped while a sync runs come with the next", async () => {
    const emulator = await emulatorWith({ channels: 1, messagesPerChannel: 3, clockOffsetMs: -1_000, taskLatencyMs: 0 });
    const streams = ['messages', 'users'] as const;
    const catalog = catalogOf(streams);
    const config = configFor(emulator);
    const first = await read({ config, catalog });
    expectCompleteRead(first, streams);
    const [cid] = exportedCids(emulator) as [string];
    emulator.data.addMessages(cid, 1);
    await pastTheSecond(emulator);
    const running = spawnRead({ config, catalog, state: first.nextState() });
    await running.waitForMessage((message) => message.type === 'LOG' && /^Export task \S+ created/.test(String(message.log.message)));
    const [added] = emulator.data.addMessages(cid, 1) as [Record<string, unknown>];
    const user = emulator.data.updateUser(String(emulator.data.queryableUsers()[0]!.id), { name: 'Edited while a sync ran' });
    const second = await running.result;
    expectCompleteRead(second, streams);
    await pastTheSecond(emulator);
    const third = await read({ config, catalog, state: second.nextState() });
    expectCompleteRead(third, streams);
    expect([...second.keys('messages'), ...third.keys('messages')]).toContain(keyOf('messages', added));
    const users = [...second.records('users'), ...third.records('users')];
    expect(users.filter((record) => record.id === user.id && record.name === 'Edited while a sync ran')).toHaveLength(1);
  }, 120_000);

  it("with Stream's clock 30 s ahead of the host's, three syncs write none twice and leave what is after their cover to a later sync", async () => {
    const emulator = await emulatorWith({ clockOffsetMs: 30_000 });
    const { written, cover } = await threeSyncs(emulator, configFor(emulator));
    expect(repeated(written)).toEqual([]);
    expect(written).toEqual(coveredTruth(emulator, cover));
    expect(Date.parse(cover)).toBeLessThanOrEqual(Date.now());
  }, 120_000);
});

describe('file ends and task statuses', () => {
  it('a chunked download from a host that ignores Range is whole at its last chunk', async () => {
    const emulator = await emulatorWith();
    emulator.faults.chunkedDownloads({ count: 100, ignoreRange: true });
    const result = await read({ config: configFor(emulator), catalog: catalogOf(['messages', 'channels']) });
    expectCompleteRead(result, ['messages', 'channels']);
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
    expect(emulator.stats().downloads).toBe(emulator.stats().exportsCreated);
  }, 120_000);

  it('a file whose last line is cut fails its batch (its channels lag), and the next sync brings them', async () => {
    const emulator = await emulatorWith();
    const config = configFor(emulator, { channels_per_export: 4, max_concurrent_exports: 1 });
    emulator.faults.truncateLastLine({ count: 1 });
    const first = await read({ config, catalog: catalogOf(['messages']) });
    expect(first.exitCode, describeRun(first)).toBe(1);
    const error = first.errors()[0];
    expect(error?.failure_type).toBe('transient_error');
    expect(String(error?.message)).toMatch(/truncated/);
    const lagging = Object.keys((first.states('messages').at(-1)!.stream.stream_state as { lagging: Record<string, unknown> }).lagging);
    expect(lagging.length).toBeGreaterThan(0);
    const next = await read({ config, catalog: catalogOf(['messages']), state: first.nextState() });
    expectCompleteRead(next, ['messages']);
    expect([...new Set([...first.keys('messages'), ...next.keys('messages')])].sort()).toEqual(groundTruthKeys(emulator, 'messages'));
  }, 120_000);

  it('a task status nobody documented fails its batch after a bounded time, naming the status', async () => {
    const emulator = await emulatorWith();
    emulator.faults.unknownTaskStatus({ count: 1, status: 'queued' });
    const result = await read({ config: configFor(emulator, { export_timeout_minutes: 0.05 }), catalog: catalogOf(['messages']) });
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(String(result.errors()[0]?.message)).toMatch(/queued/);
  }, 120_000);
});
