import { describe, expect, it } from 'vitest';
import { flattenCustom } from '../../src/records/custom-fields.js';
import { toRecords } from '../../src/records/index.js';

describe('flattenCustom', () => {
  it('moves the keys of `custom` after the other fields, in their order', () => {
    const flat = flattenCustom({ id: 'u1', custom: { color: 'teal', plan: { tier: 'gold' } }, role: 'user' });
    expect(JSON.stringify(flat)).toBe('{"id":"u1","role":"user","color":"teal","plan":{"tier":"gold"}}');
  });

  it("keeps Stream's value when a custom key clashes with a top-level field", () => {
    expect(flattenCustom({ id: 'c1', type: 'messaging', custom: { type: 'mine', name: 'General' } })).toEqual({ id: 'c1', type: 'messaging', name: 'General' });
  });

  it('flattens the entities nested in Stream fields, not objects inside custom data', () => {
    const message = {
      id: 'm1',
      user: { id: 'u1', custom: { color: 'red' } },
      latest_reactions: [{ type: 'like', user: { id: 'u2', custom: {} }, custom: {} }],
      custom: { settings: { custom: { deep: true } } },
    };
    expect(flattenCustom(message)).toEqual({
      id: 'm1',
      user: { id: 'u1', color: 'red' },
      latest_reactions: [{ type: 'like', user: { id: 'u2' } }],
      settings: { custom: { deep: true } },
    });
  });

  it('returns the very entity when there is nothing to move', () => {
    const entity = { id: 'm1', user: { id: 'u1' }, latest_reactions: [{ user: { id: 'u2' } }], custom: null };
    expect(flattenCustom(entity)).toBe(entity);
  });
});

describe('records from either shape of custom data', () => {
  it('a channel line with `custom` gives the record of its flat twin, without its JSON text', () => {
    const json = Buffer.from('{"cid":"messaging:a","custom":{"name":"A"}}');
    const [nested] = toRecords({ kind: 'channel', data: { cid: 'messaging:a', custom: { name: 'A' } }, json });
    const [flat] = toRecords({ kind: 'channel', data: { cid: 'messaging:a', name: 'A' } });
    expect(nested).toEqual(flat);
    expect(nested?.json).toBeUndefined();
  });
});
