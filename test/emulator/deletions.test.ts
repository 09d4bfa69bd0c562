import { describe, expect, it } from 'vitest';
import { DataSet } from '../../emulator/data-set.js';
import { manualClock } from './helpers.js';

function dataSet(): DataSet {
  return new DataSet({ seed: 7, channels: 6, messagesPerChannel: 40, usersCount: 10, channelTypes: ['messaging'], now: manualClock().now });
}

const ids = (entities: Iterable<Record<string, unknown>>) => [...entities].map((entity) => String(entity.id));
const memberIds = (data: DataSet, cid: string) => [...data.members({ cids: [cid] })].map((member) => String(member.user_id));
const reactionKeys = (data: DataSet, messageId: string) =>
  [...data.reactions()].filter((reaction) => reaction.message_id === messageId).map((reaction) => `${String(reaction.user_id)} ${String(reaction.type)}`);

/** A live message with at least one reaction. */
function reactedMessage(data: DataSet): Record<string, unknown> {
  const reacted = new Set([...data.reactions()].map((reaction) => reaction.message_id));
  const message = [...data.messages()].find((candidate) => candidate.type !== 'deleted' && reacted.has(candidate.id));
  if (!message) throw new Error('no reacted message in the data set');
  return message;
}

describe('emulator deletions: the ground truth follows each, as Stream deletes', () => {
  it('deleteMessage soft: type deleted, deleted_at = updated_at = now, the row stays', () => {
    const data = dataSet();
    const message = reactedMessage(data);
    const deleted = data.deleteMessage(String(message.id));
    expect(deleted).toMatchObject({ id: message.id, type: 'deleted' });
    expect(deleted?.deleted_at).toBe(deleted?.updated_at);
    expect(String(deleted?.updated_at) > String(message.updated_at)).toBe(true);
    expect(data.message(String(message.id))).toEqual(deleted);
    expect([...data.messages()].find((candidate) => candidate.id === message.id)).toEqual(deleted);
  });

  it('deleteMessage hard: gone from exports and lookups, its reactions with it', () => {
    const data = dataSet();
    const message = reactedMessage(data);
    const before = ids(data.messages());
    expect(data.deleteMessage(String(message.id), { hard: true })).toBeUndefined();
    expect(ids(data.messages())).toEqual(before.filter((id) => id !== message.id));
    expect(data.message(String(message.id))).toBeUndefined();
    expect(reactionKeys(data, String(message.id))).toEqual([]);
    expect(() => data.addReaction(String(message.id), 'user-0001', 'like')).toThrow(/no message/);
  });

  it('softDeleteChannel: deleted_at = updated_at = now; left out of exports unless include_soft_deleted_channels, its messages kept', () => {
    const data = dataSet();
    const cid = String([...data.channels()][0]!.cid);
    const messages = ids(data.messages({ cids: [cid] }));
    const deleted = data.softDeleteChannel(cid);
    expect(deleted.deleted_at).toBe(deleted.updated_at);
    expect([...data.channels()].map((channel) => channel.cid)).not.toContain(cid);
    expect([...data.channels({ includeSoftDeleted: true })].find((channel) => channel.cid === cid)).toEqual(deleted);
    expect(ids(data.messages({ cids: [cid], includeSoftDeleted: true }))).toEqual(messages);
  });

  it('deleteChannel (hard): the channel, its members, messages and reactions are gone', () => {
    const data = dataSet();
    const cid = String([...data.channels()][1]!.cid);
    data.deleteChannel(cid);
    for (const entity of data.entities()) expect(entity.cid).not.toBe(cid);
    expect(data.channelModel(cid)).toBeUndefined();
  });

  it('removeMember: gone from the member list, the channel not updated; added again, a new member', () => {
    const data = dataSet();
    const channel = [...data.channels()][0]!;
    const cid = String(channel.cid);
    const [first, ...rest] = memberIds(data, cid);
    const messages = [...data.entities({ cids: [cid] })].filter((entity) => entity.type === 'message' || entity.type === 'reaction');
    data.removeMember(cid, first!);
    expect(memberIds(data, cid)).toEqual(rest);
    expect(
      [...data.entities({ cids: [cid] })].filter((entity) => entity.type === 'message' || entity.type === 'reaction'),
      'what they wrote stays',
    ).toEqual(messages);
    expect([...data.channels()][0]!.updated_at).toBe(channel.updated_at);
    expect(() => data.removeMember(cid, first!)).toThrow(/no member/);
    data.addMessages(cid, 1, { userId: first! });
    expect(memberIds(data, cid)).toEqual([...rest, first]);
    data.removeMember(cid, first!);
    expect(memberIds(data, cid)).toEqual(rest);
  });

  it('removeReaction: gone from exports, generated or added, the message not updated', () => {
    const data = dataSet();
    const message = reactedMessage(data);
    const id = String(message.id);
    const [first, ...rest] = reactionKeys(data, id);
    const [userId, type] = first!.split(' ') as [string, string];
    data.removeReaction(id, userId, type);
    expect(reactionKeys(data, id)).toEqual(rest);
    expect(data.message(id)?.updated_at).toBe(message.updated_at);
    expect(() => data.removeReaction(id, userId, type)).toThrow(/no reaction/);
    data.addReaction(id, userId, 'wow');
    data.removeReaction(id, userId, 'wow');
    expect(reactionKeys(data, id)).toEqual(rest);
  });

  it('deleteUser with messages soft or hard deletes every message the user wrote; without, they stay', () => {
    const data = dataSet();
    const authors = [...new Set([...data.messages()].map((message) => (message.user as { id: string }).id))];
    const [keeps, softens, hardens] = authors as [string, string, string];
    const wrote = (id: string) => [...data.messages()].filter((message) => (message.user as { id: string }).id === id);
    const kept = wrote(keeps).length;
    data.deleteUser(keeps);
    expect(wrote(keeps)).toHaveLength(kept);
    data.deleteUser(softens, { messages: 'soft' });
    expect(wrote(softens).length).toBeGreaterThan(0);
    expect(wrote(softens).every((message) => message.type === 'deleted')).toBe(true);
    data.deleteUser(hardens, { hard: true, messages: 'hard' });
    expect(wrote(hardens)).toEqual([]);
    expect(data.hasUser(hardens)).toBe(false);
  });

  it('a snapshot taken before a deletion keeps what was deleted', () => {
    const data = dataSet();
    const message = reactedMessage(data);
    const snapshot = data.snapshot();
    data.deleteMessage(String(message.id), { hard: true });
    expect(snapshot.message(String(message.id))).toEqual(message);
  });
});
