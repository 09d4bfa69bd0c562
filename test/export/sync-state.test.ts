import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { SyncState, type SyncMode } from '../../src/export/sync-state.js';
import type { StreamName } from '../../src/streams/index.js';

const startedAt = '2026-01-01T00:00:00.000Z';

function syncState(
  modes: Partial<Record<StreamName, SyncMode>>,
  input: Record<string, Record<string, unknown>> = {},
  options: { startDate?: string; lookbackHours?: number } = {},
) {
  return new SyncState({
    selected: new Map(Object.entries(modes) as [StreamName, SyncMode][]),
    input: new Map(Object.entries(input)),
    startDate: options.startDate,
    lookbackHours: options.lookbackHours ?? 0,
    startedAt,
  });
}

describe('SyncState', () => {
  it('starts a channel window at its messages cursor', () => {
    const state = syncState({ messages: 'incremental' }, { messages: { cursors: { 'a:1': '2025-06-01T00:00:00Z' } } });
    expect(state.windowStart('a:1')).toBe('2025-06-01T00:00:00Z');
    expect(state.windowStart('a:2')).toBeUndefined();
  });

  it('uses start_date for channels without a cursor and ignores state in full refresh', () => {
    const state = syncState({ messages: 'full_refresh' }, { messages: { cursors: { 'a:1': '2025-06-01T00:00:00Z' } } }, { startDate: '2024-01-01T00:00:00Z' });
    expect(state.windowStart('a:1')).toBe('2024-01-01T00:00:00Z');
  });

  it('moves a cursor back by the lookback, but never start_date', () => {
    const state = syncState({ messages: 'incremental' }, { messages: { cursors: { 'a:1': '2025-06-01T12:00:00Z' } } }, { startDate: '2024-01-01T00:00:00Z', lookbackHours: 2 });
    expect(state.windowStart('a:1')).toBe('2025-06-01T10:00:00.000Z');
    expect(state.windowStart('a:2')).toBe('2024-01-01T00:00:00Z');
    expect(state.admit('messages', { id: 'm0', cid: 'a:2', created_at: '2023-12-31T23:59:59Z' })).toBe(false);
    expect(state.admit('messages', { id: 'm1', cid: 'a:1', created_at: '2025-06-01T10:30:00Z' })).toBe(true);
  });

  it('keeps a message created exactly at the window start (the bounds may be inclusive)', () => {
    const state = syncState({ messages: 'incremental' }, { messages: { cursors: { 'a:1': '2025-06-01T00:00:00Z' } } });
    expect(state.admit('messages', { id: 'm1', cid: 'a:1', created_at: '2025-06-01T00:00:00.000Z' })).toBe(true);
    expect(state.admit('messages', { id: 'm2', cid: 'a:1', created_at: '2025-05-31T23:59:59.999999Z' })).toBe(false);
  });

  it('starts at the earliest need of messages and reactions', () => {
    const state = syncState(
      { messages: 'incremental', reactions: 'incremental' },
      { messages: { cursors: { 'a:1': '2025-06-01T00:00:00Z' } }, reactions: { cursors: { 'a:1': '2025-05-01T00:00:00Z' } } },
    );
    expect(state.windowStart('a:1')).toBe('2025-05-01T00:00:00Z');
    expect(state.admit('messages', { id: 'm1', cid: 'a:1', created_at: '2025-05-15T00:00:00Z' })).toBe(false);
    expect(state.admit('messages', { id: 'm3', cid: 'a:1', created_at: 'not a time' })).toBe(true);
    expect(state.admit('messages', { id: 'm2', cid: 'a:1', created_at: '2025-06-15T00:00:00Z' })).toBe(true);
  });

  it('needs no messages when neither messages nor reactions is selected', () => {
    const state = syncState({ channels: 'incremental' });
    expect(state.needsMessages).toBe(false);
    expect(state.windowStart('a:1')).toBe(startedAt);
  });

  it('moves message cursors to the window end only for completed channels', () => {
    const state = syncState({ messages: 'incremental', reactions: 'full_refresh' }, { messages: { cursors: { 'z:9': '2025-01-01T00:00:00Z' } } });
    state.completeChannels(['a:1']);
    expect(state.stateOf('messages', false)).toEqual({ cursors: { 'z:9': '2025-01-01T00:00:00Z', 'a:1': startedAt } });
    expect(state.stateOf('reactions', false)).toEqual({ cursors: { 'a:1': startedAt } });
  });

  it('never moves a cursor from the future backwards', () => {
    const state = syncState({ messages: 'incremental' }, { messages: { cursors: { 'a:1': '2999-01-01T00:00:00Z' } } });
    state.completeChannels(['a:1']);
    expect(state.stateOf('messages', true)).toEqual({ cursors: { 'a:1': '2999-01-01T00:00:00Z' } });
  });

  it('emits channels, members and users only when updated after the cursor', () => {
    const state = syncState({ channels: 'incremental' }, { channels: { updated_at: '2025-06-01T00:00:00Z' } });
    expect(state.admit('channels', { cid: 'a:1', updated_at: '2025-06-01T00:00:00Z' })).toBe(false);
    expect(state.admit('channels', { cid: 'a:2', updated_at: '2025-06-01T00:00:00.000001Z' })).toBe(true);
  });

  it('moves updated_at cursors only at the end, to the newest row but not past the sync start', () => {
    const state = syncState({ channels: 'incremental', users: 'incremental' }, { channels: { updated_at: '2025-06-01T00:00:00Z' } });
    state.admit('channels', { cid: 'a:1', updated_at: '2025-07-01T00:00:00Z' });
    state.admit('users', { id: 'u', updated_at: '2027-01-01T00:00:00Z' });
    expect(state.stateOf('channels', false)).toEqual({ updated_at: '2025-06-01T00:00:00Z', cids: [] });
    expect(state.stateOf('channels', true)).toEqual({ updated_at: '2025-07-01T00:00:00Z', cids: [] });
    expect(state.stateOf('users', true)).toEqual({ updated_at: startedAt });
    expect(state.stateOf('members', true)).toEqual({ cids: [] });
  });

  it('reads a channel that joined the selection whole, whatever the updated_at cursor', () => {
    const state = syncState(
      { channels: 'incremental', members: 'incremental' },
      { channels: { updated_at: '2025-06-01T00:00:00Z', cids: ['a:1'] }, members: { updated_at: '2025-06-01T00:00:00Z', cids: ['a:1'] } },
    );
    expect(state.admit('channels', { cid: 'a:1', updated_at: '2025-01-01T00:00:00Z' })).toBe(false);
    expect(state.admit('channels', { cid: 'a:2', updated_at: '2025-01-01T00:00:00Z' })).toBe(true);
    expect(state.admit('members', { cid: 'a:2', user_id: 'u', updated_at: '2025-01-01T00:00:00Z' })).toBe(true);
    state.completeChannels(['a:2']);
    expect(state.stateOf('channels', false)).toEqual({ updated_at: '2025-06-01T00:00:00Z', cids: ['a:1', 'a:2'] });
  });

  it('forgets synced channels that left the selection, so they are read whole when they come back', () => {
    const state = syncState({ channels: 'incremental' }, { channels: { updated_at: '2025-06-01T00:00:00Z', cids: ['a:1', 'a:2'] } });
    state.retainChannels(['a:1']);
    expect(state.stateOf('channels', false)).toEqual({ updated_at: '2025-06-01T00:00:00Z', cids: ['a:1'] });
  });

  it('filters every channel by updated_at when the state predates the cids list', () => {
    const state = syncState({ channels: 'incremental' }, { channels: { updated_at: '2999-01-01T00:00:00Z' } });
    expect(state.admit('channels', { cid: 'a:9', updated_at: '2025-01-01T00:00:00Z' })).toBe(false);
  });

  it('emits a user embedded in a new record however old the profile, once', () => {
    const state = syncState({ users: 'incremental' }, { users: { updated_at: '2025-06-01T00:00:00Z' } });
    const old = { id: 'u1', updated_at: '2024-01-01T00:00:00Z' };
    expect(state.admit('users', old)).toBe(false);
    expect(state.admit('users', old, true)).toBe(true);
    expect(state.admit('users', old, true)).toBe(false);
  });

  it('reports the newest updated_at written in message and reaction states too', () => {
    const state = syncState({ messages: 'incremental', reactions: 'full_refresh' }, { messages: { updated_at: '2025-01-01T00:00:00Z', cursors: {} } });
    state.admit('messages', { id: 'm', cid: 'a:1', created_at: '2025-02-01T00:00:00Z', updated_at: '2025-03-01T00:00:00Z' });
    state.admit('reactions', { message_id: 'm', user_id: 'u', type: 'like', updated_at: '2025-02-02T00:00:00Z' });
    expect(state.stateOf('messages', false)).toEqual({ updated_at: '2025-01-01T00:00:00Z', cursors: {} });
    expect(state.stateOf('messages', true)).toEqual({ updated_at: '2025-03-01T00:00:00Z', cursors: {} });
    expect(state.stateOf('reactions', true)).toEqual({ updated_at: '2025-02-02T00:00:00Z', cursors: {} });
  });

  it('emits each user once per sync', () => {
    const state = syncState({ users: 'full_refresh' });
    expect(state.admit('users', { id: 'u1', updated_at: '2025-01-01T00:00:00Z' })).toBe(true);
    expect(state.admit('users', { id: 'u1', updated_at: '2025-01-01T00:00:00Z' })).toBe(false);
    expect(state.admit('users', { id: 'u2', updated_at: '2025-01-01T00:00:00Z' })).toBe(true);
  });

  it('rejects a malformed state with a config error naming the stream', () => {
    expect(() => syncState({ messages: 'incremental' }, { messages: { cursors: { 'a:1': 'soon' } } })).toThrow(/stream "messages".*a:1/);
    expect(() => syncState({ messages: 'incremental' }, { messages: { cursors: [] } })).toThrow(ConfigError);
    expect(() => syncState({ users: 'incremental' }, { users: { updated_at: 5 } })).toThrow(/stream "users"/);
    expect(() => syncState({ channels: 'incremental' }, { channels: { cids: 'a:1' } })).toThrow(/stream "channels".*cids/);
  });
});
