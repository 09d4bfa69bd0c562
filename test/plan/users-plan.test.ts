import { describe, expect, it } from 'vitest';
import { Instant } from '../../src/utils/instant.js';

const at = (text: string) => Instant.of(text);
import { nextUsersState, planUsers } from '../../src/plan/users-plan.js';

const clock = { windowEnd: at('2026-06-10T00:00:00.000Z'), lookbackHours: 2, sweepCutoff: at('2026-06-03T00:00:00.000Z') };
const COVER = at('2026-06-09T00:00:00.000Z');
const SWEPT = at('2026-06-05T00:00:00.000Z');

describe('users plan', () => {
  it('lists every user without a cover (first sync, full refresh, a state of an older version)', () => {
    expect(planUsers(undefined, clock)).toEqual({ full: true, until: clock.windowEnd });
  });

  it('lists the users updated after the cover less the lookback, up to the window end', () => {
    expect(planUsers({ cover: COVER, swept: SWEPT, lagging: {} }, clock)).toEqual({
      full: false,
      after: at('2026-06-08T22:00:00.000Z'),
      until: clock.windowEnd,
    });
  });

  it('lists every user on a full sweep: bans, roles and deactivation may not move updated_at', () => {
    expect(planUsers({ cover: COVER, swept: at('2026-06-02T00:00:00.000Z'), lagging: {} }, clock).full).toBe(true);
    expect(planUsers({ cover: COVER, lagging: {} }, clock).full).toBe(true);
  });
});

describe('next users state', () => {
  const state = { cover: COVER, swept: SWEPT, lagging: {}, updatedAt: at('2026-06-08T00:00:00Z') };

  it('keeps the state until the listing is done', () => {
    expect(nextUsersState(state, planUsers(state, clock), false, at('2026-06-09T12:00:00Z'))).toEqual({ ...state, updatedAt: at('2026-06-09T12:00:00Z') });
  });

  it('covers the window end once listed, sweeps it after a full listing, and caps updated_at there', () => {
    expect(nextUsersState(state, planUsers(state, clock), true, undefined)).toEqual({ ...state, cover: clock.windowEnd });
    expect(nextUsersState(undefined, planUsers(undefined, clock), true, at('2026-06-11T00:00:00Z'))).toEqual({
      cover: clock.windowEnd,
      swept: clock.windowEnd,
      lagging: {},
      updatedAt: clock.windowEnd,
    });
  });
});
