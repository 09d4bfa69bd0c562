import { Coverage, type ListedChannel, type PlanClock } from '../plan/coverage.js';
import { nextState, type SyncOutcome } from '../plan/next-state.js';
import type { Selection } from '../plan/selection.js';
import { compactOf, writeStoredState, type StoredState } from '../plan/state-codec.js';
import type { StreamState } from '../plan/stream-state.js';
import { nextUsersState, type UsersPlan } from '../plan/users-plan.js';
import type { StreamName } from '../records/index.js';
import type { Instant } from '../utils/instant.js';
import { Admission } from './admission.js';
import { SettledChannels } from './settled-channels.js';

export type ChannelStream = Exclude<StreamName, 'users'>;

export interface LedgerInput {
  /** Each configured stream's state as read (none for a full refresh). */
  stored: ReadonlyMap<StreamName, StoredState>;
  /** The stream_states as given: a 0.1.0 state goes back as it came until it is migrated. */
  given: ReadonlyMap<string, Record<string, unknown>>;
  clock: PlanClock;
  selection: Selection;
  usersPlan: UsersPlan | undefined;
}

/**
 * What the sync has done so far, stream by stream, and so the state each stream reports at a
 * checkpoint: the states it started from, the channels settled, whether users are listed, the newest
 * record written. Before planning it hands every state back as it came.
 */
export class Ledger {
  private coverages: Map<ChannelStream, Coverage>;
  private admission: Admission;
  private readonly settled: SettledChannels;
  private migrated = false;
  private usersListed = false;

  constructor(private readonly input: LedgerInput) {
    this.coverages = coveragesOf(input.stored, input.clock);
    this.admission = new Admission(this.coverages, this.channelOf);
    // Only the written channels a state had lagging matter to the next state: no set of every channel.
    this.settled = new SettledChannels((cid) => [...this.coverages.values()].some((coverage) => coverage.isLagging(cid)));
  }

  /** The channel streams' coverages, from the states or from their migration. */
  get channelCoverages(): Coverage[] {
    return [...this.coverages.values()];
  }

  has(stream: StreamName): boolean {
    return stream === 'users' ? this.input.usersPlan !== undefined : this.coverages.has(stream);
  }

  /** The 0.1.0 states, migrated once every selected channel was listed. */
  migrate(states: ReadonlyMap<ChannelStream, StreamState | undefined>): void {
    this.coverages = new Map(
      [...this.coverages.keys()].map((name) => [name, new Coverage(name, states.get(name) ?? this.coverages.get(name)?.state, this.input.clock)]),
    );
    this.admission = new Admission(this.coverages, this.channelOf);
    this.migrated = true;
  }

  /** The next channels planned, in created_at order after every channel planned before them. */
  planned(channels: readonly ListedChannel[]): void {
    this.settled.planned(channels);
  }

  /** Channels created at this instant could not be listed: no state claims them. */
  holdBefore(instant: Instant): void {
    this.settled.holdBefore(instant);
  }

  /** A channel whose records are being read, as it was listed (its created_at places it against a midway state). */
  private readonly channelOf = (cid: string): ListedChannel => this.settled.channelOf(cid) ?? { cid };

  settle(cids: readonly string[], ok: boolean): void {
    this.settled.settle(cids, ok);
  }

  listedUsers(): void {
    this.usersListed = true;
  }

  /** Whether the record is new for its stream (and so to be written); its updated_at is then counted. */
  admit(stream: StreamName, data: Record<string, unknown>): boolean {
    return this.admission.admit(stream, data);
  }

  /** The stream_state to print now; `final`: every planned export is settled. */
  stateOf(name: StreamName, final: boolean): Record<string, unknown> {
    const newest = this.admission.newestOf(name);
    if (name === 'users') {
      const plan = this.input.usersPlan as UsersPlan;
      return writeStoredState(name, nextUsersState(compactOf(this.input.stored.get(name)), plan, this.usersListed, newest));
    }
    if (!this.migrated && this.input.stored.get(name)?.kind === 'legacy') return this.input.given.get(name) ?? {};
    const coverage = this.coverages.get(name) as Coverage;
    return writeStoredState(name, nextState(coverage, this.outcome(final, newest), this.input.clock, this.input.selection));
  }

  private outcome(final: boolean, newest: Instant | undefined): SyncOutcome {
    return this.settled.outcome(final, newest);
  }
}

/** The channel streams' coverages: users do not come from channel exports. */
function coveragesOf(stored: ReadonlyMap<StreamName, StoredState>, clock: PlanClock): Map<ChannelStream, Coverage> {
  const coverages = new Map<ChannelStream, Coverage>();
  for (const [name, state] of stored) if (name !== 'users') coverages.set(name, new Coverage(name, compactOf(state), clock));
  return coverages;
}
