import { describe, expect, it } from 'vitest';
import { classifyLine } from '../../src/export/entities.js';
import { sampleChannel, sampleMember, sampleMessage, sampleReaction, sampleUser } from '../records/sample-entities.js';

const CID = 'messaging:general';
const noContext = {};

describe('classifyLine: wrapped lines', () => {
  it.each([
    ['channel', 'channel', sampleChannel('messaging', 'general')],
    ['member', 'member', sampleMember('u1', { cid: CID })],
    ['channel_member', 'member', sampleMember('u1', { cid: CID })],
    ['message', 'message', sampleMessage(CID, 'm1')],
    ['reaction', 'reaction', sampleReaction('m1', 'u1', 'like', { cid: CID })],
    ['user', 'user', sampleUser('u1')],
  ])('reads {type: "%s", data} as a %s', (type, kind, data) => {
    expect(classifyLine({ type, data }, noContext)).toEqual({ kind, ...(kind === 'user' ? {} : { cid: CID }), data });
  });

  it('reads {type, item} lines too', () => {
    const data = sampleUser('u1');
    expect(classifyLine({ type: 'user', item: data }, noContext)).toEqual({ kind: 'user', data });
  });

  it('skips read, device and unknown kinds with a reason', () => {
    expect(classifyLine({ type: 'read', data: { last_read: '2025-01-01T00:00:00Z', user: sampleUser('u') } }, noContext)).toEqual({
      skip: 'a "read" line (not replicated)',
    });
    expect(classifyLine({ type: 'device', data: { id: 'd1' } }, noContext)).toEqual({ skip: 'a "device" line (not replicated)' });
    expect(classifyLine({ type: 'poll_vote', data: { id: 'v1' } }, noContext)).toEqual({ skip: 'a line of unknown type "poll_vote"' });
  });

  it('takes the cid of a member from the wrapper when its data names no channel', () => {
    const data = sampleMember('u1');
    expect(classifyLine({ type: 'member', channel_type: 'team', channel_id: 'ops', data }, noContext)).toEqual({
      kind: 'member',
      cid: 'team:ops',
      data,
    });
  });
});

describe('classifyLine: bare entities', () => {
  it.each([
    ['channel', sampleChannel('messaging', 'general')],
    ['member', sampleMember('u1')],
    ['message', sampleMessage(CID, 'm1')],
    ['reaction', sampleReaction('m1', 'u1', 'like')],
    ['user', sampleUser('u1')],
  ])('recognises a bare %s by its fields', (kind, data) => {
    expect(classifyLine(data, { cid: CID })).toEqual({ kind, ...(kind === 'user' ? {} : { cid: CID }), data });
  });

  it('recognises a member invited but not yet a member by its status', () => {
    const { channel_role: _role, ...member } = sampleMember('u1', { status: 'pending' });
    expect(classifyLine(member, { cid: CID })).toMatchObject({ kind: 'member' });
  });

  it('recognises a bare channel that carries type and id but no cid', () => {
    const { cid: _cid, ...channel } = sampleChannel('team', 'ops');
    expect(classifyLine(channel, noContext)).toEqual({ kind: 'channel', cid: 'team:ops', data: channel });
  });

  it('keeps a message with a custom `data` field a message', () => {
    const data = sampleMessage(CID, 'm1', { data: { nested: true } });
    expect(classifyLine(data, noContext)).toMatchObject({ kind: 'message', cid: CID });
  });

  it('skips read state with a reason', () => {
    expect(classifyLine({ user: sampleUser('u1'), last_read: '2025-01-01T00:00:00Z', unread_messages: 0 }, noContext)).toEqual({
      skip: 'a read-state line (last_read; not replicated)',
    });
  });

  it('skips unrecognised objects and non-objects, saying what they were', () => {
    expect(classifyLine({ foo: 1, bar: 2 }, noContext)).toEqual({ skip: 'an unrecognised line with the fields foo, bar' });
    expect(classifyLine({}, noContext)).toEqual({ skip: 'an unrecognised line with the fields (none)' });
    expect(classifyLine([1, 2], noContext)).toEqual({ skip: 'a line holding an array, not an object' });
    expect(classifyLine(null, noContext)).toEqual({ skip: 'a line holding null, not an object' });
    expect(classifyLine(42, noContext)).toEqual({ skip: 'a line holding a number, not an object' });
  });

  it('lists at most twelve fields of an unrecognised line', () => {
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i]));
    expect(classifyLine(wide, noContext)).toEqual({
      skip: 'an unrecognised line with the fields f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, … (20 in all)',
    });
  });
});

describe('classifyLine: the channel of an entity', () => {
  it('comes from cid, then channel_cid, then channel_type + channel_id, then the current channel', () => {
    const message = sampleMessage(undefined, 'm1');
    const context = { cid: 'messaging:current' };
    expect(classifyLine({ ...message, cid: 'a:1', channel_cid: 'b:2' }, context)).toMatchObject({ cid: 'a:1' });
    expect(classifyLine({ ...message, channel_cid: 'b:2', channel_type: 'c', channel_id: '3' }, context)).toMatchObject({ cid: 'b:2' });
    expect(classifyLine({ ...message, channel_type: 'c', channel_id: '3' }, context)).toMatchObject({ cid: 'c:3' });
    expect(classifyLine(message, context)).toMatchObject({ cid: 'messaging:current' });
  });

  it('is left unset when neither the entity nor the file tells it', () => {
    expect(classifyLine({ type: 'reaction', data: sampleReaction('m1', 'u1', 'like') }, noContext)).not.toHaveProperty('cid');
  });

  it("is a channel's own cid, or type:id", () => {
    const { cid: _cid, ...channel } = sampleChannel('team', 'ops');
    expect(classifyLine({ type: 'channel', data: channel }, { cid: 'other:1' })).toMatchObject({ cid: 'team:ops' });
  });

  it('is never set on users, even inside a channel', () => {
    expect(classifyLine(sampleUser('u1'), { cid: CID })).not.toHaveProperty('cid');
  });
});
