import { describe, expect, it } from 'vitest';
import { MessageLists } from '../../src/sync/message-lists.js';
import { ReactionLists, reactionKey } from '../../src/sync/reaction-lists.js';
import { Instant } from '../../src/utils/instant.js';

const at = (text: string) => Instant.parse(text)!;

describe('MessageLists: what an export proves of the messages created in its windows', () => {
  it("gives each planned channel whose line arrived its window (since, the sync's window end), with every message id the export held", () => {
    const lists = new MessageLists(
      [
        { cid: 'messaging:a', since: at('2024-01-01T00:00:00Z') },
        { cid: 'messaging:b', since: undefined },
        { cid: 'messaging:absent', since: undefined },
      ],
      at('2024-02-01T00:00:00Z'),
    );
    lists.channel('messaging:a');
    lists.channel('messaging:b');
    lists.message('m1');
    lists.message('m2');
    expect(lists.whole()).toEqual({
      lists: [
        { cid: 'messaging:a', after: '2024-01-01T00:00:00Z', before: '2024-02-01T00:00:00Z' },
        { cid: 'messaging:b', after: undefined, before: '2024-02-01T00:00:00Z' },
      ],
      ids: ['m1', 'm2'],
    });
  });

  it('proves nothing when no channel line arrived', () => {
    const lists = new MessageLists([{ cid: 'messaging:a', since: undefined }], at('2024-02-01T00:00:00Z'));
    lists.message('m1');
    expect(lists.whole()).toEqual({ lists: [], ids: [] });
  });
});

describe('ReactionLists: the reactions a v2 export held for its messages', () => {
  it('keys each reaction by message, user and type, once', () => {
    const lists = new ReactionLists();
    lists.message('m1');
    lists.message('m2');
    lists.reaction('m1', 'ada', 'like');
    lists.reaction('m1', 'ada', 'like');
    expect(lists.whole()).toEqual({ messageIds: ['m1', 'm2'], keys: [reactionKey('m1', 'ada', 'like')] });
    expect(reactionKey('m1', 'ada', 'like')).not.toBe(reactionKey('m1a', 'da', 'like'));
  });
});
