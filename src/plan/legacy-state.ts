import { z } from 'zod';
import { Instant } from '../utils/instant.js';
import type { StreamName } from '../records/index.js';
import type { Selection } from './selection.js';
import { shapeOf, type StreamState } from './stream-state.js';

// The only code that knows version 0.1.0's states: how to tell them, and what they become.

/** A state of version 0.1.0: a cursor per channel, or an updated_at with the list of channels synced. */
export interface LegacyState {
  cursors?: Record<string, Instant>;
  updatedAt?: Instant;
  cids?: string[];
}

/** Keys only the later shapes have: a channel stream's state with none of them is one of 0.1.0. */
const LATER_KEYS = ['cover', 'swept', 'lagging', 'selection', 'progress'];

export function isLegacy(raw: Record<string, unknown>): boolean {
  return !LATER_KEYS.some((key) => key in raw);
}

export function legacySchema(instant: z.ZodType<Instant, string>) {
  return z.looseObject({
    cursors: z.record(z.string(), instant).optional(),
    updated_at: instant.nullish(),
    cids: z.array(z.string()).optional(),
  });
}

export function legacyOf(parsed: {
  cursors?: Record<string, Instant> | undefined;
  updated_at?: Instant | null | undefined;
  cids?: string[] | undefined;
}): LegacyState {
  return {
    ...(parsed.cursors && { cursors: parsed.cursors }),
    ...(parsed.updated_at && { updatedAt: parsed.updated_at }),
    ...(parsed.cids && { cids: parsed.cids }),
  };
}

/**
 * When the last sync of 0.1.0 ran: it exported every channel, so it was a full sweep. Its message
 * cursors all moved to its start; the newest of them (or of the updated_at cursors) is the best guess.
 */
export function legacySweptAt(states: Iterable<LegacyState>): Instant | undefined {
  let at: Instant | undefined;
  for (const state of states) {
    for (const cursor of Object.values(state.cursors ?? {})) at = Instant.later(at, cursor);
    if (state.cursors === undefined) at = Instant.later(at, state.updatedAt);
  }
  return at;
}

/**
 * A 0.1.0 state as a later one, given every channel of the selection (`listed`): its cursors are
 * honoured (behind the newest: lagging with their own), a channel it did not know is lagging with
 * nothing covered (read whole, as 0.1.0 would have), no other channel is read whole again. Undefined:
 * it covered nothing.
 */
export function migrateLegacy(
  stream: Exclude<StreamName, 'users'>,
  legacy: LegacyState,
  listed: readonly string[],
  selection: Selection,
  sweptAt: Instant | undefined,
): StreamState | undefined {
  return shapeOf(stream) === 'window' ? migrateCursors(legacy, listed, selection, sweptAt) : migrateRows(legacy, listed, selection, sweptAt);
}

function migrateCursors(legacy: LegacyState, listed: readonly string[], selection: Selection, sweptAt: Instant | undefined): StreamState | undefined {
  const cursors = legacy.cursors ?? {};
  const cover = Object.values(cursors).reduce<Instant | undefined>((newest, cursor) => Instant.later(newest, cursor), undefined);
  if (cover === undefined) return undefined;
  const lagging: Record<string, Instant | null> = {};
  for (const cid of listed) {
    const cursor = cursors[cid];
    if (cursor === undefined) lagging[cid] = null;
    else if (!cursor.equals(cover)) lagging[cid] = cursor;
  }
  const state: StreamState = { cover, lagging, selection };
  if (sweptAt !== undefined) state.swept = sweptAt;
  if (legacy.updatedAt !== undefined) state.updatedAt = legacy.updatedAt;
  return state;
}

function migrateRows(legacy: LegacyState, listed: readonly string[], selection: Selection, sweptAt: Instant | undefined): StreamState | undefined {
  if (legacy.updatedAt === undefined) return undefined;
  const lagging: Record<string, Instant | null> = {};
  if (legacy.cids !== undefined) {
    const known = new Set(legacy.cids);
    for (const cid of listed) if (!known.has(cid)) lagging[cid] = null;
  }
  const swept = sweptAt ?? legacy.updatedAt;
  return { updatedAt: legacy.updatedAt, cover: swept, swept, lagging, selection };
}
