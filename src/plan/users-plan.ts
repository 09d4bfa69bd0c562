import { Instant } from '../utils/instant.js';
import type { PlanClock } from './coverage.js';
import type { StreamState } from './stream-state.js';

/**
 * Which users a sync lists from query users: every user on a first sync, a full refresh and a full
 * sweep (bans, roles and deactivation may not move updated_at); in between, those updated after the
 * last cover less the lookback. Either way up to the sync's window end, where the next sync takes over.
 */
export interface UsersPlan {
  full: boolean;
  after?: Instant;
  until: Instant;
}

export function planUsers(state: StreamState | undefined, clock: PlanClock): UsersPlan {
  const cover = state?.cover;
  const sweepDue = state?.swept === undefined || !state.swept.isAfter(clock.sweepCutoff);
  if (cover === undefined || sweepDue) return { full: true, until: clock.windowEnd };
  return { full: false, after: cover.minusHours(clock.lookbackHours), until: clock.windowEnd };
}

/**
 * The users state: once the listing is done, covered to its window end (never back: a cover from the
 * future stays, as the other streams' do) and, after a full listing, swept there; before, what it was.
 * `newest` is the newest updated_at written, for the record.
 */
export function nextUsersState(state: StreamState | undefined, plan: UsersPlan, listed: boolean, newest: Instant | undefined): StreamState {
  const next: StreamState = { lagging: {} };
  const cover = listed ? Instant.later(state?.cover, plan.until) : state?.cover;
  if (cover !== undefined) next.cover = cover;
  const swept = listed && plan.full ? plan.until : state?.swept;
  if (swept !== undefined) next.swept = swept;
  const written = Instant.later(state?.updatedAt, newest === undefined ? undefined : Instant.earlier(newest, plan.until));
  if (written !== undefined) next.updatedAt = written;
  return next;
}
