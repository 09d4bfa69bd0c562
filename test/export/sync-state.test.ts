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

  it('starts at the earliest need of messages and reactions', () => {
    const state = syncState(
      { messages: 'incremental', reactions: 'incremental' },
      { messages: { cursors: { 'a:1': '2025-06-01T00:00:00Z' } }, reactions: { cursors: { 'a:1': '2025-05-01T00:00:00Z' } } },
    );
    expect(state.windowStart('a:1')).toBe('2025-05-01T00:00:00Z');
    expect(state.admit('messages', { id: 'm1', cid: 'a:1', created_at: '2025-05-15T00:00:00Z' })).toBe(false);
    expect(state.admit('messages', { id: 'm2', cid: 'a:1', created_at: '2025-06-15T00:00:00Z' })).toBe(true);
  });

  it('needs no messages when neither messages nor reactions is selected', () => {
    const state = syncState({ channels: 'incremental' });
    expect(state.needsMessages).toBe(false);
    expect(state.windowStart('a:1')).toBe(startedAt);
  });

  it('moves message cursors to the window end only for completed channels', () => {
    const state = syncState({ messages: 'incremental', reactions: 'full_refresh' }, { messages: { cursors: { 'z:9': '2025-01-01T00:00:00Z' } } });
    state.completeWindows(['a:1']);
    expect(state.stateOf('messages', false)).toEqual({ cursors: { 'z:9': '2025-01-01T00:00:00Z', 'a:1': startedAt } });
    expect(state.stateOf('reactions', false)).toEqual({ cursors: { 'a:1': startedAt } });
  });

  it('never moves a cursor from the future backwards', () => {
    const state = syncState({ messages: 'incremental' }, { messages: { cursors: { 'a:1': '2999-01-01T00:00:00Z' } } });
    state.completeWindows(['a:1']);
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
    expect(state.stateOf('channels', false)).toEqual({ updated_at: '2025-06-01T00:00:00Z' });
    expect(state.stateOf('channels', true)).toEqual({ updated_at: '2025-07-01T00:00:00Z' });
    expect(state.stateOf('users', true)).toEqual({ updated_at: startedAt });
    expect(state.stateOf('members', true)).toEqual({});
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
  });
});
