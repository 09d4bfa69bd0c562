import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import {
  catalogOf,
  type Config,
  configFor,
  describeRun,
  discover,
  expectCompleteRead,
  expectValidRecords,
  once,
  read,
  type Read,
  recordValidators,
  SMALL_DATA_SET,
  STREAMS,
} from './harness.js';

const MARKER = '_ab_cdc_deleted_at';
const SOFT_DELETABLE = ['channels', 'messages', 'users'] as const;

/** A record line without its emitted_at (which differs between runs) and, when asked, without the marker Airbyte mode puts first. */
function comparable(line: string, withoutMarker = false): string {
  const text = line.replace(/,"emitted_at":\d+\}\}$/, '}}');
  return withoutMarker ? text.replace(new RegExp(`"data":\\{"${MARKER}":"[^"]*",`), '"data":{') : text;
}

describe('mark_soft_deletions, black box: Airbyte deletion markers on soft-deleted records', () => {
  let emulator: Emulator;
  let deletedUserId: string;
  // Query channels never lists a soft-deleted channel: naming every channel exports them too.
  const readWith = (options: Config) =>
    read({
      config: configFor(emulator, { include_soft_deleted_channels: true, channel_ids: emulator.data.allChannels().map((channel) => channel.cid), ...options }),
      catalog: catalogOf(STREAMS, 'full_refresh'),
    });
  const marked = once(() => readWith({ mark_soft_deletions: true }));
  const unmarked = once(() => readWith({}));

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(SMALL_DATA_SET);
    const [message] = emulator.data.messages();
    deletedUserId = (message!.user as { id: string }).id;
    emulator.data.deleteUser(deletedUserId);
  }, 120_000);
  afterAll(() => emulator.close());

  it('discover declares _ab_cdc_deleted_at on channels, messages and users, typed as their deleted_at, whatever the key', async () => {
    for (const config of [configFor(emulator), configFor(emulator, { mark_soft_deletions: true })]) {
      const streams = await discover(config);
      for (const stream of streams) {
        const properties = stream.json_schema.properties as Record<string, unknown>;
        if ((SOFT_DELETABLE as readonly string[]).includes(stream.name)) expect(properties[MARKER], stream.name).toEqual(properties.deleted_at);
        else expect(properties[MARKER], stream.name).toBeUndefined();
      }
    }
  });

  it('on: every soft-deleted channel, message and user carries _ab_cdc_deleted_at = its deleted_at, and no other record does', async () => {
    const result = await marked();
    expectCompleteRead(result, STREAMS);
    expectValidRecords(result, recordValidators(await discover(configFor(emulator))));
    for (const stream of SOFT_DELETABLE) {
      const records = result.records(stream);
      const deleted = records.filter((data) => typeof data.deleted_at === 'string');
      expect(deleted.length, `soft-deleted ${stream}`).toBeGreaterThan(0);
      for (const data of records) expect(data[MARKER], `${stream} ${JSON.stringify(data).slice(0, 120)}`).toBe(data.deleted_at ?? undefined);
    }
    expect(result.records('users').find((user) => user.id === deletedUserId)?.[MARKER]).toEqual(expect.any(String));
    for (const stream of ['members', 'reactions'] as const) expect(result.records(stream).filter((data) => MARKER in data)).toEqual([]);
  });

  it('on: the records are those of a read with it off, byte for byte, but for the marker in front of the soft-deleted ones', async () => {
    const [on, off] = await Promise.all([marked(), unmarked()]);
    const lines = (result: Read, withoutMarker: boolean) =>
      result
        .recordLines()
        .map(({ line }) => comparable(line, withoutMarker))
        .sort();
    expect(lines(on, true)).toEqual(lines(off, false));
    expect(lines(on, false).filter((line) => line.includes(MARKER)).length).toBeGreaterThan(0);
  });

  it('off (the default): no record carries _ab_cdc_deleted_at, soft-deleted rows arrive as ordinary rows', async () => {
    const result = await unmarked();
    expectCompleteRead(result, STREAMS);
    expect(
      result.recordLines().filter(({ line }) => line.includes(MARKER)),
      describeRun(result),
    ).toEqual([]);
    expect(result.records('messages').filter((data) => data.type === 'deleted').length).toBeGreaterThan(0);
  });
});
