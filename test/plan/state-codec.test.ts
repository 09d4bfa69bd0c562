import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { legacySweptAt, migrateLegacy } from '../../src/plan/legacy-state.js';
import { selectionOf } from '../../src/plan/selection.js';
import { readStoredState, writeStoredState } from '../../src/plan/state-codec.js';
import type { StreamState } from '../../src/plan/stream-state.js';
import type { StreamName } from '../../src/records/index.js';

const T = '2026-01-01T00:00:00.000Z';
const OLDER = '2025-12-01T00:00:00Z';
const selection = selectionOf({});

describe('stored state', () => {
  it('reads nothing from an absent or empty state', () => {
    expect(readStoredState('messages', undefined)).toEqual({ kind: 'none' });
    expect(readStoredState('messages', {})).toEqual({ kind: 'none' });
  });

  it('reads every shape written today as it was written', () => {
    const window = {
      cover: T,
      updated_at: OLDER,
      swept: T,
      lagging: { 'a:1': OLDER, 'a:2': null },
      selection,
      progress: { until: T, created_before: OLDER, sweep: true },
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

  it('drops the progress of a state written when the listing went in cid order (its channels are exported again)', () => {
    const before = { cover: T, swept: T, lagging: { 'a:1': OLDER }, selection, progress: { until: T, through: 'a:9', sweep: true } };
    const read = readStoredState('messages', before);
    expect(read).toEqual({ kind: 'compact', state: { cover: T, swept: T, lagging: { 'a:1': OLDER }, selection } });
    if (read.kind === 'compact') expect(writeStoredState('messages', read.state)).toEqual({ cover: T, swept: T, lagging: { 'a:1': OLDER }, selection });
  });

  it('round-trips every state it writes, of every stream (property)', () => {
    const instant = fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2999-01-01T00:00:00Z'), noInvalidDate: true })
      .map((date) => date.toISOString());
    const cid = fc.constantFrom('a:1', 'a:2', 'b:x:y');
    const sel = fc.record({ channel_types: fc.array(fc.constantFrom('a', 'b')), channel_ids: fc.array(cid), exclude_channel_ids: fc.array(cid) });
    const state = fc.record(
      {
        cover: instant,
        updatedAt: instant,
        swept: instant,
        lagging: fc.dictionary(cid, fc.option(instant, { nil: null })),
        selection: sel,
        progress: fc.record({ until: instant, createdBefore: instant, sweep: fc.boolean() }, { requiredKeys: ['until', 'createdBefore', 'sweep'] }),
      },
      { requiredKeys: ['lagging'] },
    );
    fc.assert(
      fc.property(fc.constantFrom<StreamName>('channels', 'members', 'messages', 'reactions', 'users'), state, (stream, written: StreamState) => {
        const read = readStoredState(stream, writeStoredState(stream, written));
        // Users have no channels: lagging, selection and progress are not theirs; without a cover, none.
        const { cover, updatedAt, swept } = written;
        const users = cover === undefined ? { kind: 'none' } : { kind: 'compact', state: JSON.parse(JSON.stringify({ cover, updatedAt, swept, lagging: {} })) };
        expect(read).toEqual(stream === 'users' ? users : { kind: 'compact', state: written });
      }),
    );
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
    expect(readStoredState('users', { cover: T, swept: T })).toEqual({ kind: 'compact', state: { cover: T, swept: T, lagging: {} } });
    expect(() => readStoredState('users', { cover: 'soon' })).toThrow(/users.*cover/);
  });

  it('migrates 0.1.0 cursors: the newest is the cover, older ones lag, channels it did not know are read whole', () => {
    const legacy = { cursors: { 'a:1': T, 'a:2': OLDER, 'a:3': T } };
    expect(legacySweptAt([legacy])).toBe(T);
    expect(migrateLegacy('messages', legacy, ['a:1', 'a:2', 'a:3', 'a:4'], selection, T)).toEqual({
      cover: T,
      swept: T,
      lagging: { 'a:2': OLDER, 'a:4': null },
      selection,
    });
    expect(migrateLegacy('channels', { updatedAt: OLDER, cids: ['a:1'] }, ['a:1', 'a:2'], selection, T)).toEqual({
      updatedAt: OLDER,
      swept: T,
      cover: T,
      lagging: { 'a:2': null },
      selection,
    });
    expect(migrateLegacy('messages', { cursors: {} }, ['a:1'], selection, T)).toBeUndefined();
  });
});
