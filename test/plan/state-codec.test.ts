import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { legacySweptAt, migrateLegacy } from '../../src/plan/legacy-state.js';
import { selectionOf } from '../../src/plan/selection.js';
import { readStoredState, writeStoredState } from '../../src/plan/state-codec.js';
import type { StreamName } from '../../src/records/index.js';
import { Instant } from '../../src/utils/instant.js';

const T = '2026-01-01T00:00:00.000Z';
const OLDER = '2025-12-01T00:00:00Z';
const at = (text: string) => Instant.of(text);
const selection = selectionOf({});

describe('stored state', () => {
  it('reads nothing from an absent or empty state', () => {
    expect(readStoredState('messages', undefined)).toEqual({ kind: 'none' });
    expect(readStoredState('messages', {})).toEqual({ kind: 'none' });
  });

  it('reads every shape written today as it was written, each instant in its own text (precision, zone)', () => {
    const window = {
      cover: '2026-01-01T00:00:00.123456789Z',
      updated_at: '2025-12-01T01:00:00.5+01:00',
      swept: '2025-12-31T23:00:00-01:00',
      lagging: { 'a:1': OLDER, 'a:2': null, 'a:3': '2025-12-01T00:00:00.000000Z' },
      selection,
      progress: { until: T, created_before: '2025-06-01T10:20:30.310709Z', sweep: true },
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
    expect(read).toEqual({ kind: 'compact', state: { cover: at(T), swept: at(T), lagging: { 'a:1': at(OLDER) }, selection } });
    if (read.kind === 'compact') expect(writeStoredState('messages', read.state)).toEqual({ cover: T, swept: T, lagging: { 'a:1': OLDER }, selection });
  });

  it('writes back the text of every state it reads, of every stream (property)', () => {
    const digits = (length: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: length, maxLength: length }).map((d) => d.join(''));
    const instant = fc
      .tuple(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2999-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 9 }).chain((n) => digits(n)),
        fc.constantFrom('Z', '+02:00', '-05:30'),
      )
      .map(([date, fraction, zone]) => `${date.toISOString().slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}${zone}`);
    const cid = fc.constantFrom('a:1', 'a:2', 'b:x:y');
    const sel = fc.record({ channel_types: fc.array(fc.constantFrom('a', 'b')), channel_ids: fc.array(cid), exclude_channel_ids: fc.array(cid) });
    const channelState = fc.record(
      {
        cover: instant,
        updated_at: instant,
        swept: instant,
        lagging: fc.dictionary(cid, fc.option(instant, { nil: null })),
        selection: sel,
        progress: fc.record({ until: instant, created_before: instant, sweep: fc.boolean() }),
      },
      { requiredKeys: ['lagging', 'cover'] },
    );
    const usersState = fc.record({ cover: instant, updated_at: instant, swept: instant }, { requiredKeys: ['cover'] });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.constantFrom<StreamName>('channels', 'members', 'messages', 'reactions'), channelState),
          fc.tuple(fc.constant<StreamName>('users'), usersState),
        ),
        ([stream, written]) => {
          const read = readStoredState(stream, written);
          expect(read.kind).toBe('compact');
          if (read.kind === 'compact') expect(writeStoredState(stream, read.state)).toEqual(written);
        },
      ),
    );
  });

  it('names the stream and the field of a state off its shape', () => {
    expect(() => readStoredState('messages', { cover: 'yesterday', lagging: {} })).toThrow(ConfigError);
    expect(() => readStoredState('messages', { cover: T, lagging: { 'a:1': 5 } })).toThrow(/messages.*lagging/);
    expect(() => readStoredState('channels', { updated_at: T, cids: 'all' })).toThrow(/channels.*cids/);
    expect(() => readStoredState('messages', { cursors: { 'a:1': 'soon' } })).toThrow(/messages.*cursors/);
  });

  it('recognises the shapes of version 0.1.0', () => {
    expect(readStoredState('messages', { updated_at: T, cursors: { 'a:1': T } })).toEqual({
      kind: 'legacy',
      state: { updatedAt: at(T), cursors: { 'a:1': at(T) } },
    });
    expect(readStoredState('channels', { updated_at: T, cids: ['a:1'] })).toEqual({ kind: 'legacy', state: { updatedAt: at(T), cids: ['a:1'] } });
  });

  it('reads a users state without a cover, of 0.1.0 or of the versions that took users from exports, as none: every user is listed again', () => {
    expect(readStoredState('users', { updated_at: T })).toEqual({ kind: 'none' });
    expect(readStoredState('users', { updated_at: OLDER, swept: T })).toEqual({ kind: 'none' });
    expect(readStoredState('users', { cover: T, swept: T })).toEqual({ kind: 'compact', state: { cover: at(T), swept: at(T), lagging: {} } });
    expect(() => readStoredState('users', { cover: 'soon' })).toThrow(/users.*cover/);
  });

  it('migrates 0.1.0 cursors: the newest is the cover, older ones lag, channels it did not know are read whole', () => {
    const legacy = { cursors: { 'a:1': at(T), 'a:2': at(OLDER), 'a:3': at('2026-01-01T01:00:00+01:00') } };
    expect(legacySweptAt([legacy])).toEqual(at(T));
    expect(migrateLegacy('messages', legacy, ['a:1', 'a:2', 'a:3', 'a:4'], selection, at(T))).toEqual({
      cover: at(T),
      swept: at(T),
      lagging: { 'a:2': at(OLDER), 'a:4': null },
      selection,
    });
    expect(migrateLegacy('channels', { updatedAt: at(OLDER), cids: ['a:1'] }, ['a:1', 'a:2'], selection, at(T))).toEqual({
      updatedAt: at(OLDER),
      swept: at(T),
      cover: at(T),
      lagging: { 'a:2': null },
      selection,
    });
    expect(migrateLegacy('messages', { cursors: {} }, ['a:1'], selection, at(T))).toBeUndefined();
  });
});
