import { describe, expect, it } from 'vitest';
import { DataSet, type DataSetOptions } from '../../emulator/data-set.js';
import { parseMicros } from '../../emulator/time.js';
import { manualClock } from './helpers.js';

function dataSet(overrides: Partial<DataSetOptions> = {}): DataSet {
  return new DataSet({
    seed: 7,
    channels: 10,
    messagesPerChannel: 60,
    usersCount: 12,
    channelTypes: ['messaging', 'livestream', 'team'],
    now: manualClock().now,
    ...overrides,
  });
}

const at = (text: unknown) => parseMicros(String(text)) as number;

describe('the generated data set', () => {
  it('is the same for the same seed and differs for another seed', () => {
    const first = JSON.stringify([...dataSet().entities()]);
    expect(JSON.stringify([...dataSet().entities()])).toBe(first);
    expect(JSON.stringify([...dataSet({ seed: 8 }).entities()])).not.toBe(first);
  });

  it('assigns channel types in turn and names cids type:id', () => {
    const channels = [...dataSet().channels({ includeSoftDeleted: true })];
    expect(channels.map((channel) => channel.type).slice(0, 4)).toEqual(['messaging', 'livestream', 'team', 'messaging']);
    for (const channel of channels) expect(channel.cid).toBe(`${String(channel.type)}:${String(channel.id)}`);
  });

  it('orders each channel’s messages oldest first with strictly increasing created_at', () => {
    const data = dataSet({ messagesPerChannel: 2000, channels: 1 });
    const times = [...data.messages()].map((message) => at(message.created_at));
    expect(times).toHaveLength(2000);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
  });

  it('has thread replies, edits, deleted messages, reactions and custom fields', () => {
    const messages = [...dataSet().messages()];
    // A reply's parent can sit before a channel's truncated_at, so look parents up among all messages.
    const byId = new Map([...dataSet().messages({ includeTruncated: true })].map((message) => [message.id, message]));
    const replies = messages.filter((message) => message.parent_id !== undefined);
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) {
      expect(reply.type).toBe('reply');
      const parent = byId.get(reply.parent_id);
      expect(parent?.reply_count).toBeGreaterThan(0);
      expect(at(parent?.created_at)).toBeLessThan(at(reply.created_at));
    }
    expect(messages.some((message) => at(message.updated_at) > at(message.created_at) && message.message_text_updated_at)).toBe(true);
    expect(messages.some((message) => message.type === 'deleted' && message.deleted_at)).toBe(true);
    expect(messages.some((message) => message.source !== undefined)).toBe(true);
    const users = [...dataSet().users()];
    expect(users.some((user) => user.favorite_color !== undefined && user.name !== undefined)).toBe(true);
  });

  it('keeps reaction lines and the message’s latest_reactions and reaction_counts in agreement', () => {
    const data = dataSet();
    const reactions = [...data.reactions()];
    expect(reactions.length).toBeGreaterThan(0);
    for (const message of data.messages()) {
      const own = reactions.filter((reaction) => reaction.message_id === message.id);
      const total = Object.values(message.reaction_counts as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(total).toBe(own.length);
      expect((message.latest_reactions as unknown[]).length).toBe(Math.min(10, own.length));
      if (own.length === 0) expect(message.reaction_groups).toBeNull();
    }
  });

  it('leaves out soft-deleted channels and truncated messages unless asked for them', () => {
    const data = dataSet();
    const all = [...data.channels({ includeSoftDeleted: true })];
    const deleted = all.filter((channel) => channel.deleted_at !== undefined);
    expect(deleted.map((channel) => channel.id)).toEqual(['channel-0007']);
    expect([...data.channels()].map((channel) => channel.cid)).not.toContain(deleted[0]?.cid);

    const truncated = all.find((channel) => channel.truncated_at !== undefined) as Record<string, any>;
    const options = { cids: [truncated.cid as string] };
    const visible = [...data.messages(options)];
    const withTruncated = [...data.messages({ ...options, includeTruncated: true })];
    expect(withTruncated.length).toBe(60);
    expect(visible.length).toBeLessThan(60);
    for (const message of visible) expect(at(message.created_at)).toBeGreaterThan(at(truncated.truncated_at));
  });

  it('selects messages with since < created_at <= until', () => {
    const data = dataSet();
    const cid = 'messaging:channel-0000';
    const times = [...data.messages({ cids: [cid] })].map((message) => String(message.created_at));
    const since = times[10] as string;
    const until = times[20] as string;
    const window = [...data.messages({ cids: [cid], since, until })].map((message) => String(message.created_at));
    expect(window).toEqual(times.slice(11, 21));
  });

  it('counts what an export would contain', () => {
    const data = dataSet();
    const counts = data.counts();
    expect(counts.channels).toBe(9);
    expect(counts.messages).toBe([...data.messages()].length);
    expect(counts.users).toBe(new Set([...data.members()].map((member) => member.user_id)).size);
  });

  it('lists the exported users once, after the channels, sorted by id', () => {
    const entities = [...dataSet().entities()];
    const firstUser = entities.findIndex((entity) => entity.type === 'user');
    expect(entities.slice(firstUser).every((entity) => entity.type === 'user')).toBe(true);
    const ids = entities.slice(firstUser).map((entity) => entity.data.id as string);
    expect(ids).toEqual([...new Set(ids)].sort());
  });
});

describe('mutations', () => {
  it('adds messages at the clock’s now, strictly increasing, after every earlier message', () => {
    const clock = manualClock();
    const data = dataSet({ now: clock.now });
    const added = data.addMessages('messaging:channel-0000', 3, { text: 'new' });
    const times = added.map((message) => at(message.created_at));
    expect(times[0]).toBe(clock.now().getTime() * 1000);
    expect(times[1]).toBeGreaterThan(times[0] as number);
    expect(times[2]).toBeGreaterThan(times[1] as number);
    const messages = [...data.messages({ cids: ['messaging:channel-0000'] })];
    expect(messages.slice(-3).map((message) => message.id)).toEqual(added.map((message) => message.id));
    expect(messages.slice(-3).map((message) => message.text)).toEqual(['new', 'new', 'new']);
    const channel = [...data.channels({ cids: ['messaging:channel-0000'] })][0];
    expect(channel?.last_message_at).toBe(added[2]?.created_at);
  });

  it('makes an unknown author a member and counts replies on the parent', () => {
    const data = dataSet();
    const cid = 'team:channel-0002';
    const members = new Set([...data.members({ cids: [cid] })].map((member) => member.user_id));
    const outsider = data.allUsers().find((user) => !members.has(user.id))?.id as string;
    const parent = [...data.messages({ cids: [cid] })][5] as Record<string, any>;
    const [reply] = data.addMessages(cid, 1, { userId: outsider, parentId: parent.id });
    expect(reply?.parent_id).toBe(parent.id);
    expect(data.message(parent.id)?.reply_count).toBe(parent.reply_count + 1);
    expect([...data.members({ cids: [cid] })].map((member) => member.user_id)).toContain(outsider);
  });

  it('edits, reacts and updates channels with fresh timestamps', () => {
    const clock = manualClock();
    const data = dataSet({ now: clock.now });
    const message = [...data.messages()][3] as Record<string, any>;
    clock.advance(1000);
    const edited = data.editMessage(message.id, 'changed');
    expect(edited.text).toBe('changed');
    expect(at(edited.updated_at)).toBe(clock.now().getTime() * 1000);
    expect(edited.message_text_updated_at).toBe(edited.updated_at);

    const reactor = [...data.members({ cids: [message.cid] })][0]?.user_id as string;
    const reaction = data.addReaction(message.id, reactor, 'wow');
    const reread = data.message(message.id) as Record<string, any>;
    expect(reread.reaction_counts.wow).toBeGreaterThanOrEqual(1);
    expect([...data.reactions()]).toContainEqual({ cid: message.cid, ...reaction });

    const updated = data.updateChannel(message.cid, { name: 'Renamed', priority: 3 });
    expect(updated).toMatchObject({ name: 'Renamed', priority: 3 });
    expect(at(updated.updated_at)).toBeGreaterThan(at(edited.updated_at));
  });

  it('adds channels that exports and ground truth include', () => {
    const data = dataSet();
    const channel = data.addChannel({ type: 'team', id: 'launch', fields: { name: 'Launch' } });
    expect(channel).toMatchObject({ cid: 'team:launch', name: 'Launch', member_count: 2 });
    data.addMessages('team:launch', 2);
    expect([...data.messages({ cids: ['team:launch'] })]).toHaveLength(2);
    expect([...data.channels()].map((c) => c.cid)).toContain('team:launch');
    expect(() => data.addChannel({ type: 'team', id: 'launch' })).toThrow(/already exists/);
  });

  it('keeps a snapshot unchanged by later mutations', () => {
    const data = dataSet();
    const snapshot = data.snapshot();
    const before = JSON.stringify([...snapshot.entities()]);
    data.addMessages('messaging:channel-0000', 2);
    data.updateChannel('messaging:channel-0000', { name: 'later' });
    expect(JSON.stringify([...snapshot.entities()])).toBe(before);
    expect(JSON.stringify([...data.entities()])).not.toBe(before);
  });
});
