import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { selectionOf } from '../../src/plan/selection.js';
import { legacySweptAt, migrateLegacy, readStoredState, writeStoredState } from '../../src/plan/stored-state.js';

const T = '2026-01-01T00:00:00.000Z';
const OLDER = '2025-12-01T00:00:00Z';
const selection = selectionOf({});

describe('stored state', () => {
  it('reads nothing from an absent or empty state', () => {
    expect(readStoredState('messages', undefined)).toEqual({ kind: 'none' });
    expect(readStoredState('messages', {})).toEqual({ kind: 'none' });
  });

  it('writes and reads back each shape unchanged', () => {
    const window = {
      cover: T,
      updated_at: OLDER,
      swept: T,
      lagging: { 'a:1': OLDER, 'a:2': null },
      selection,
      progress: { until: T, through: 'a:9', sweep: true },
    };
    const rows = { updated_at: OLDER, cover: T, swept: T, lagging: {}, selection };
    const users = { cover: T, updated_at: OLDER, swept: T };
    for (const [stream, state] of [
      ['messages', window],
      ['members', rows],
      ['users', users],
    ] as const) {
      const read = readStoredState(stream, state);
      expect(read.kind).toBe('compact');
      if (read.kind === 'compact') expect(writeStoredState(stream, read.state)).toEqual(state);
    }
  });

  it('names the stream and the field of a state off its shape', () => {
    expect(() => readStoredState('messages', { cover: 'yesterday', lagging: {} })).toThrow(ConfigError);
    expect(() => readStoredState('messages', { cover: T, lagging: { 'a:1': 5 } })).toThrow(/messages.*lagging/);
    expect(() => readStoredState('channels', { updated_at: T, cids: 'all' })).toThrow(/channels.*cids/);
    expect(() => readStoredState('messages', { cursors: { 'a:1': 'soon' } })).toThrow(/messages.*cursors/);
  });

  it('recognises the shapes of version 0.1.0', () => {
    expect(readStoredState('messages', { updated_at: T, cursors: { 'a:1': T } })).toEqual({ kind: 'legacy', state: { updatedAt: T, cursors: { 'a:1': T } } });
    expect(readStoredState('channels', { updated_at: T, cids: ['a:1'] })).toEqual({ kind: 'legacy', state: { updatedAt: T, cids: ['a:1'] } });
  });

  it('reads a users state without a cover, of 0.1.0 or of the versions that took users from exports, as none: every user is listed again', () => {
    expect(readStoredState('users', { updated_at: T })).toEqual({ kind: 'none' });
    expect(readStoredState('users', { updated_at: OLDER, swept: T })).toEqual({ kind: 'none' });
    expect(readStoredState('users', { cover: T, swept: T })).toEqual({ kind: 'compact', state: { covered: T, swept: T, lagging: {} } });
    expect(() => readStoredState('users', { cover: 'soon' })).toThrow(/users.*cover/);
  });

  it('migrates 0.1.0 cursors: the newest is the cover, older ones lag, channels it did not know are read whole', () => {
    const legacy = { cursors: { 'a:1': T, 'a:2': OLDER, 'a:3': T } };
    const stored = [readStoredState('messages', legacy)];
    expect(legacySweptAt(stored)).toBe(T);
    expect(migrateLegacy('messages', legacy, ['a:1', 'a:2', 'a:3', 'a:4'], selection, T)).toEqual({
      kind: 'compact',
      state: { covered: T, swept: T, lagging: { 'a:2': OLDER, 'a:4': null }, selection },
    });
    expect(migrateLegacy('channels', { updatedAt: OLDER, cids: ['a:1'] }, ['a:1', 'a:2'], selection, T)).toEqual({
      kind: 'compact',
      state: { covered: OLDER, swept: T, activeSince: T, lagging: { 'a:2': null }, selection },
    });
    expect(migrateLegacy('messages', { cursors: {} }, ['a:1'], selection, T)).toEqual({ kind: 'none' });
  });
});
