import { chunk } from '../utils/chunk.js';
import { Instant } from '../utils/instant.js';
import { CHEAP_IN, type ChannelFilter } from '../stream-api/channels.js';
import type { Coverage, PlanClock } from './coverage.js';
import { coveredSelections } from './coverage.js';
import type { Selection } from './selection.js';
import { covers, explicitChannels, selectionDelta } from './selection.js';

/** One query channels listing; `direct`: the cids are taken as they are, without asking Stream. */
export interface ChannelQuery {
  filter: ChannelFilter;
  direct?: boolean;
  /** Cids that must exist: those Stream does not list are reported. */
  expected?: 'configured' | 'lagging';
}

export interface ListingPlan {
  /** Every selected channel is listed (first sync, full refresh, full sweep, a selection that cannot be narrowed). */
  full: boolean;
  /** Why, for the planning LOG line (empty for a plain listing by activity). */
  why: string;
  queries: ChannelQuery[];
}

/** The selection's channels as cheap filters: its cids, or its types at most three a query (all types: one). */
function selected(selection: Selection): ChannelFilter[] {
  const explicit = explicitChannels(selection);
  if (explicit !== undefined) return [{ cids: explicit }];
  return typeFilters(selection.channel_types);
}

function typeFilters(types: readonly string[]): ChannelFilter[] {
  if (types.length === 0) return [{ types: [] }];
  return chunk([...types], CHEAP_IN).map((part) => ({ types: part }));
}

/**
 * Which channels to ask query channels for. Over-inclusive by design: each listed channel is then
 * placed by the coverages (planChannels). An incremental sync asks only for the channels with
 * activity since the states' instants (last_message_at, updated_at or created_at after them: one
 * query each, since a cheap query has no `$or` of three), the channels new to the selection and the
 * lagging ones. The queries' channels are merged as they come (listSelectedChannels).
 */
export function planListing(coverages: readonly Coverage[], selection: Selection, clock: PlanClock, includeSoftDeleted: boolean): ListingPlan {
  const bases = selected(selection);
  const everything = (why: string): ListingPlan => fullListing(selection, includeSoftDeleted, why);
  if (coverages.some((coverage) => coverage.state === undefined)) return everything('first sync or full refresh of a stream');
  if (coverages.some((coverage) => coverage.covered === undefined)) return everything('resuming a first sync');
  if (coverages.some((coverage) => coverage.sweepDue)) return everything('full sweep due');
  const deltas = coveredSelections(coverages).map((before) => selectionDelta(before, selection));
  if (deltas.some((delta) => delta.everything)) return everything('the selection grew past what a narrow listing can name');

  const conditions = activityConditions(coverages, clock);
  const queries: ChannelQuery[] = conditions.flatMap((where) => bases.map((base) => ({ filter: { ...base, where } })));
  const named = new Set<string>();
  for (const delta of deltas) {
    for (const cid of delta.cids) named.add(cid);
    if (delta.types.length > 0) queries.push(...typeFilters(delta.types).map((filter) => ({ filter })));
  }
  const lagging = new Set(coverages.flatMap((coverage) => coverage.laggingCids()).filter((cid) => covers(selection, cid)));
  const newcomers = [...named].filter((cid) => !lagging.has(cid));
  if (newcomers.length > 0) queries.push({ filter: { cids: newcomers }, direct: includeSoftDeleted, expected: 'configured' });
  if (lagging.size > 0) queries.push({ filter: { cids: [...lagging] }, direct: includeSoftDeleted, expected: 'lagging' });
  const narrowed = deltas.some((delta) => delta.cids.length > 0 || delta.types.length > 0);
  return { full: false, why: narrowed ? 'the selection grew' : '', queries };
}

/**
 * Every selected channel. Configured channel_ids are checked to exist, but for soft-deleted channels,
 * which query channels never lists (their export then says whether they exist).
 */
export function fullListing(selection: Selection, includeSoftDeleted: boolean, why: string): ListingPlan {
  const explicit = explicitChannels(selection);
  if (explicit === undefined) return { full: true, why, queries: typeFilters(selection.channel_types).map((filter) => ({ filter })) };
  return { full: true, why, queries: [{ filter: { cids: explicit }, ...(includeSoftDeleted ? { direct: true } : { expected: 'configured' }) }] };
}

/** The conditions of query channels that together find every channel some coverage may need (planChannels decides). */
function activityConditions(coverages: readonly Coverage[], clock: PlanClock): Record<string, unknown>[] {
  let messagesAfter: Instant | undefined;
  let updatedAfter: Instant | undefined;
  let createdAfter: Instant | undefined;
  for (const coverage of coverages) {
    const covered = coverage.covered;
    if (covered === undefined) continue;
    if (coverage.shape === 'window') {
      createdAfter = Instant.earlier(createdAfter, covered);
      messagesAfter = Instant.earlier(messagesAfter, covered.minusHours(clock.lookbackHours));
    } else {
      const since = coverage.state?.cover ?? covered;
      createdAfter = Instant.earlier(createdAfter, since);
      updatedAfter = Instant.earlier(updatedAfter, since);
    }
  }
  const conditions: Record<string, unknown>[] = [];
  if (messagesAfter !== undefined) conditions.push({ last_message_at: { $gt: messagesAfter.toString() } });
  if (updatedAfter !== undefined) conditions.push({ updated_at: { $gt: updatedAfter.toString() } });
  if (createdAfter !== undefined) conditions.push({ created_at: { $gt: createdAfter.toString() } });
  return conditions;
}
