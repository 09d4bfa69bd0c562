import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import { expectNotPrinted, onlyError } from '../test/helpers/cli.js';
import {
  catalogOf,
  type Config,
  configFor,
  describeRun,
  expectCompleteRead,
  exportedCids,
  groundTruthKeys,
  keyOf,
  messageKeys,
  read,
  SMALL_DATA_SET,
  type StreamName,
  pastTheSecond,
} from './harness.js';

const CHANNELS_AND_MESSAGES: readonly StreamName[] = ['channels', 'messages'];

describe('config options, black box', () => {
  let emulator: Emulator;
  const readWith = (options: Config, streams: readonly StreamName[] = CHANNELS_AND_MESSAGES) =>
    read({ config: configFor(emulator, { channels_per_export: 5, ...options }), catalog: catalogOf(streams) });
  const channelKeys = (cids: readonly string[]) => cids.map((cid) => keyOf('channels', { cid })).sort();

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(SMALL_DATA_SET);
  }, 120_000);
  afterAll(() => emulator.close());

  it('channel_ids naming a channel Stream does not have: one config_error TRACE naming it, exit 1, no record', async () => {
    const [known] = exportedCids(emulator);
    const missing = 'messaging:no-such-channel';
    const result = await readWith({ channel_ids: [known, missing] });
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(result.byType('RECORD')).toEqual([]);
    const error = onlyError(result);
    expect(error.failure_type).toBe('config_error');
    expect(error.message).toContain(missing);
    expect(error.message).not.toContain(known);
    expectNotPrinted(result, emulator.apiSecret);
  });

  it('channel_types reads exactly the channels of those types and their messages', async () => {
    const team = exportedCids(emulator).filter((cid) => cid.startsWith('team:'));
    expect(team.length).toBeGreaterThan(0);
    const result = await readWith({ channel_types: ['team'] });
    expectCompleteRead(result, CHANNELS_AND_MESSAGES);
    expect(result.keys('channels')).toEqual(channelKeys(team));
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: team }));
  });

  it('exclude_channel_ids leaves those channels and their messages out', async () => {
    const all = exportedCids(emulator);
    const excluded = [all[1]!, all[4]!];
    const kept = all.filter((cid) => !excluded.includes(cid));
    const result = await readWith({ exclude_channel_ids: excluded });
    expectCompleteRead(result, CHANNELS_AND_MESSAGES);
    expect(result.keys('channels')).toEqual(channelKeys(kept));
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: kept }));
  });

  it('channel_ids reads exactly those channels, minus exclude_channel_ids', async () => {
    const [a, b, c] = exportedCids(emulator).slice(-3) as [string, string, string];
    const result = await readWith({ channel_ids: [a, b, c], exclude_channel_ids: [b] });
    expectCompleteRead(result, CHANNELS_AND_MESSAGES);
    expect(result.keys('channels')).toEqual(channelKeys([a, c]));
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: [a, c] }));
  });

  it('start_date reads only the messages created after it', async () => {
    const startDate = '2024-12-01T00:00:00Z';
    const result = await readWith({ start_date: startDate }, ['messages']);
    expectCompleteRead(result, ['messages']);
    const expected = groundTruthKeys(emulator, 'messages', { since: startDate });
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(groundTruthKeys(emulator, 'messages').length);
    expect(result.keys('messages')).toEqual(expected);
    for (const message of result.records('messages')) expect(Date.parse(message.created_at)).toBeGreaterThan(Date.parse(startDate));
  });

  it('include_truncated_messages also reads the messages a truncation hid', async () => {
    const result = await readWith({ include_truncated_messages: true }, ['messages']);
    expectCompleteRead(result, ['messages']);
    const expected = groundTruthKeys(emulator, 'messages', { includeTruncated: true });
    expect(expected.length).toBeGreaterThan(groundTruthKeys(emulator, 'messages').length);
    expect(result.keys('messages')).toEqual(expected);
  });

  it('include_soft_deleted_channels with channel_ids naming a soft-deleted channel reads that channel and its messages', async () => {
    const deleted = emulator.data.allChannels().find((channel) => channel.deletedAt !== undefined)!.cid;
    const result = await readWith({ channel_ids: [deleted], include_soft_deleted_channels: true });
    expect(result.errors(), describeRun(result)).toEqual([]);
    expectCompleteRead(result, CHANNELS_AND_MESSAGES);
    expect(result.keys('channels')).toEqual(channelKeys([deleted]));
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: [deleted], includeSoftDeleted: true }));
  });

  it('include_soft_deleted_channels with channel_ids naming a channel Stream cannot find: the others exported and saved, then a config_error naming it, every sync', async () => {
    const known = exportedCids(emulator).slice(0, 3);
    const missing = 'messaging:no-such-channel';
    const config = { channel_ids: [...known, missing], include_soft_deleted_channels: true };
    const first = await readWith(config, ['messages']);
    expect(first.exitCode, describeRun(first)).toBe(1);
    expect(onlyError(first).failure_type).toBe('config_error');
    expect(onlyError(first).message).toContain(missing);
    expect(first.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: known }));
    const saved = first.states('messages').at(-1)!.stream.stream_state;
    expect(Object.keys(saved.lagging as object)).toEqual([missing]);

    const second = await read({
      config: configFor(emulator, { channels_per_export: 5, ...config }),
      catalog: catalogOf(['messages']),
      state: first.nextState(),
    });
    expect(second.exitCode, describeRun(second)).toBe(1);
    expect(onlyError(second).failure_type).toBe('config_error');
    expect(onlyError(second).message).toContain(missing);
    expect(second.keys('messages')).toEqual([]);
  });

  it('include_soft_deleted_channels with a lagging channel Stream cannot find: a WARN names it, it is dropped, its batch exported', async () => {
    const [lagging] = exportedCids(emulator) as [string];
    const missing = 'messaging:no-such-channel';
    const first = await readWith({}, ['messages']);
    expectCompleteRead(first, ['messages']);
    const state = first.nextState().map((message) => {
      const stream_state = { ...message.stream.stream_state, lagging: { [lagging]: null, [missing]: null } };
      return { ...message, stream: { ...message.stream, stream_state } };
    });
    const config = configFor(emulator, { channels_per_export: 5, include_soft_deleted_channels: true });
    const next = await read({ config, catalog: catalogOf(['messages']), state });
    expectCompleteRead(next, ['messages']);
    expect(next.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: [lagging] }));
    const warnings = next.byType('LOG').filter((message) => message.log.level === 'WARN' && String(message.log.message).includes(missing));
    expect(warnings).toHaveLength(1);
    expect(next.states('messages').at(-1)!.stream.stream_state.lagging).toEqual({});
  });

  it('users come from query users whatever the channel selection: every user once, user_ids ignored with a WARN', async () => {
    const [cid] = exportedCids(emulator) as [string];
    const members = new Set([...emulator.data.members({ cids: [cid] })].map((member) => member.user_id));
    const outsider = emulator.data.allUsers().find((user) => !members.has(user.id))!.id;
    const result = await readWith({ channel_ids: [cid], user_ids: [outsider] }, ['messages', 'users']);
    expectCompleteRead(result, ['messages', 'users']);
    expect(result.keys('users')).toEqual(groundTruthKeys(emulator, 'users', { cids: [cid] }));
    expect(result.keys('users')).toContain(keyOf('users', { id: outsider }));
    expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages', { cids: [cid] }));
    expect(result.byType('LOG').some((message) => String(message.log.message).startsWith('user_ids is ignored'))).toBe(true);
  });
});

describe('lookback_window_hours', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(SMALL_DATA_SET);
  }, 120_000);
  afterAll(() => emulator.close());

  it('re-reads the hours before each cursor: edits and late reactions of messages already read arrive, nothing is lost', async () => {
    const streams: readonly StreamName[] = ['messages', 'reactions'];
    const catalog = catalogOf(streams);
    const config = configFor(emulator, { channels_per_export: 5 });
    const [cidA, cidB] = exportedCids(emulator) as [string, string];

    const first = await read({ config, catalog });
    expectCompleteRead(first, streams);
    const earlier = emulator.data.addMessages(cidA, 3);
    await pastTheSecond(emulator);
    const second = await read({ config, catalog, state: first.nextState() });
    expectCompleteRead(second, streams);
    expect(second.keys('messages')).toEqual(messageKeys(earlier.map((message) => message.id)));

    const edited = emulator.data.editMessage(String(earlier[0]!.id), 'edited after it was read');
    const lateReaction = emulator.data.addReaction(String(earlier[1]!.id), (earlier[2]!.user as { id: string }).id, 'haha');
    const later = emulator.data.addMessages(cidB, 2);
    await pastTheSecond(emulator);
    const third = await read({ config: { ...config, lookback_window_hours: 1 }, catalog, state: second.nextState() });
    expectCompleteRead(third, streams);
    expect(third.keys('messages')).toEqual(messageKeys([...earlier, ...later].map((message) => message.id)));
    expect(third.records('messages').find((message) => message.id === edited.id)).toMatchObject({ text: 'edited after it was read' });
    expect(third.keys('reactions')).toEqual([keyOf('reactions', lateReaction)]);
  });
});

describe('incremental reads when the selection changes', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(SMALL_DATA_SET);
  }, 120_000);
  afterAll(() => emulator.close());

  it('a channel that leaves the selection and comes back brings the changes made meanwhile', async () => {
    const [a, b] = exportedCids(emulator) as [string, string];
    const catalog = catalogOf(['channels']);
    const both = configFor(emulator, { channel_ids: [a, b] });
    const first = await read({ config: both, catalog });
    emulator.data.updateChannel(b, { topic: 'changed while excluded' });
    emulator.data.updateChannel(a, { topic: 'changed after b' });
    await pastTheSecond(emulator);
    const second = await read({ config: { ...both, exclude_channel_ids: [b] }, catalog, state: first.nextState() });
    expect(second.keys('channels')).toEqual([keyOf('channels', { cid: a })]);
    const third = await read({ config: both, catalog, state: second.nextState() });
    expectCompleteRead(third, ['channels']);
    expect(third.keys('channels')).toEqual([keyOf('channels', { cid: b })]);
    expect(third.records('channels')[0]).toMatchObject({ topic: 'changed while excluded' });
  });
});
