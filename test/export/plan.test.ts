import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { channelWindow, explicitChannels, parseCid, withoutExcluded } from '../../src/export/plan.js';
import { chunk } from '../../src/utils/chunk.js';

const until = '2026-01-01T00:00:00.000Z';

describe('plan', () => {
  it('splits a cid on its first colon only', () => {
    expect(parseCid('messaging:a:b')).toEqual({ type: 'messaging', id: 'a:b' });
    expect(() => parseCid('messaging')).toThrow(ConfigError);
    expect(() => parseCid(':a')).toThrow(ConfigError);
  });

  it('asks for the messages of the window (since, until]', () => {
    expect(channelWindow('team:x', '2025-12-31T12:00:00Z', until)).toEqual({
      type: 'team',
      id: 'x',
      messages_since: '2025-12-31T12:00:00Z',
      messages_until: until,
    });
  });

  it('leaves the window open at the start when there is no cursor', () => {
    expect(channelWindow('team:x', undefined, until)).toEqual({ type: 'team', id: 'x', messages_until: until });
  });

  it('turns a cursor from the future into the empty window ending now', () => {
    const request = channelWindow('team:x', '2999-01-01T00:00:00Z', until);
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
