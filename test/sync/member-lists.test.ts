import { describe, expect, it } from 'vitest';
import { MEMBER_LIST_CAP, MemberLists } from '../../src/sync/member-lists.js';

describe('MemberLists: what an export proves of its channels member lists', () => {
  it('gives the list of each channel whose line arrived, sorted, empty when it held no member', () => {
    const lists = new MemberLists();
    lists.channel('messaging:a');
    lists.member('messaging:a', 'bob');
    lists.member('messaging:a', 'ada');
    lists.channel('messaging:empty');
    expect(lists.whole()).toEqual([
      { cid: 'messaging:a', userIds: ['ada', 'bob'] },
      { cid: 'messaging:empty', userIds: [] },
    ]);
  });

  it('proves nothing of a channel whose line did not arrive', () => {
    const lists = new MemberLists();
    lists.member('messaging:b', 'ada');
    expect(lists.whole()).toEqual([]);
  });

  it(`proves nothing of a list of ${MEMBER_LIST_CAP} members or more, which Stream may have capped`, () => {
    const lists = new MemberLists();
    for (const [cid, count] of [
      ['messaging:under', MEMBER_LIST_CAP - 1],
      ['messaging:at', MEMBER_LIST_CAP],
    ] as const) {
      lists.channel(cid);
      for (let i = 0; i < count; i++) lists.member(cid, `user-${i}`);
    }
    expect(lists.whole().map((list) => list.cid)).toEqual(['messaging:under']);
  });
});
