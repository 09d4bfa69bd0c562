import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { channelWindow, chunk, explicitChannels, parseCid, withoutExcluded } from '../../src/export/plan.js';

const until = '2026-01-01T00:00:00.000Z';

describe('plan', () => {
  it('splits a cid on its first colon only', () => {
    expect(parseCid('messaging:a:b')).toEqual({ type: 'messaging', id: 'a:b' });
    expect(() => parseCid('messaging')).toThrow(ConfigError);
    expect(() => parseCid(':a')).toThrow(ConfigError);
  });

  it('starts a window at the cursor minus the lookback and ends it at the planned instant', () => {
    expect(channelWindow('team:x', { since: '2025-12-31T12:00:00Z', until, lookbackHours: 2 })).toEqual({
      type: 'team',
      id: 'x',
      messages_since: '2025-12-31T10:00:00.000Z',
      messages_until: until,
    });
  });

  it('leaves the window open at the start when there is no cursor', () => {
    expect(channelWindow('team:x', { since: undefined, until, lookbackHours: 5 })).toEqual({ type: 'team', id: 'x', messages_until: until });
  });

  it('turns a cursor from the future into the empty window ending now', () => {
    const request = channelWindow('team:x', { since: '2999-01-01T00:00:00Z', until, lookbackHours: 1 });
    expect(request.messages_since).toBe(until);
    expect(request.messages_until).toBe(until);
  });

  it('batches in order, at most n a batch', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 25)).toEqual([]);
  });

  it('takes explicit channels once each, minus the excluded ones', () => {
    expect(explicitChannels({ channel_ids: ['a:1', 'a:2', 'a:1'], exclude_channel_ids: ['a:2'] })).toEqual(['a:1']);
    expect(explicitChannels({ channel_types: ['a'] })).toBeUndefined();
    expect(withoutExcluded(['a:1', 'b:2'], { exclude_channel_ids: ['b:2'] })).toEqual(['a:1']);
  });
});
