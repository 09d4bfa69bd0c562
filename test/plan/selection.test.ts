import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { covers, explicitChannels, parseCid, selectionDelta, selectionOf } from '../../src/plan/selection.js';

const all = selectionOf({});

describe('selection', () => {
  it('splits a cid on its first colon only', () => {
    expect(parseCid('messaging:a:b')).toEqual({ type: 'messaging', id: 'a:b' });
    expect(() => parseCid('messaging')).toThrow(ConfigError);
    expect(() => parseCid(':a')).toThrow(ConfigError);
  });

  it('normalises the three keys: sorted, each once', () => {
    expect(selectionOf({ channel_types: ['team', 'messaging', 'team'], exclude_channel_ids: ['b:1', 'a:1'] })).toEqual({
      channel_types: ['messaging', 'team'],
      channel_ids: [],
      exclude_channel_ids: ['a:1', 'b:1'],
    });
  });

  it('covers by id when ids are given, else by type, never an excluded cid', () => {
    const byType = selectionOf({ channel_types: ['team'], exclude_channel_ids: ['team:x'] });
    expect(covers(byType, 'team:a')).toBe(true);
    expect(covers(byType, 'team:x')).toBe(false);
    expect(covers(byType, 'messaging:a')).toBe(false);
    expect(covers(all, 'anything:a')).toBe(true);
    const byId = selectionOf({ channel_types: ['team'], channel_ids: ['messaging:a'] });
    expect(covers(byId, 'messaging:a')).toBe(true);
    expect(covers(byId, 'team:a')).toBe(false);
  });

  it('takes explicit channels once each, minus the excluded ones', () => {
    expect(explicitChannels(selectionOf({ channel_ids: ['a:1', 'a:2', 'a:1'], exclude_channel_ids: ['a:2'] }))).toEqual(['a:1']);
    expect(explicitChannels(selectionOf({ channel_types: ['a'] }))).toBeUndefined();
  });

  it('tells what a new selection adds, in a form query channels can list', () => {
    const messaging = selectionOf({ channel_types: ['messaging'] });
    expect(selectionDelta(messaging, messaging)).toEqual({ cids: [], types: [], everything: false });
    expect(selectionDelta(messaging, selectionOf({ channel_types: ['messaging', 'team'] }))).toEqual({ cids: [], types: ['team'], everything: false });
    expect(selectionDelta(messaging, all)).toEqual({ cids: [], types: [], everything: true });
    expect(selectionDelta(all, selectionOf({ channel_types: ['team'] }))).toEqual({ cids: [], types: [], everything: false });
    const excluded = selectionOf({ exclude_channel_ids: ['team:x', 'team:y'] });
    expect(selectionDelta(excluded, selectionOf({ exclude_channel_ids: ['team:y'] }))).toEqual({ cids: ['team:x'], types: [], everything: false });
    const ids = selectionOf({ channel_ids: ['a:1', 'a:2'] });
    expect(selectionDelta(ids, selectionOf({ channel_ids: ['a:1', 'a:3'] }))).toEqual({ cids: ['a:3'], types: [], everything: false });
    expect(selectionDelta(messaging, selectionOf({ channel_ids: ['messaging:1', 'team:2'] }))).toEqual({ cids: ['team:2'], types: [], everything: false });
    expect(selectionDelta(ids, messaging).everything).toBe(true);
  });
});
