import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { isTimestamp, latest } from '../utils/timestamps.js';
import { describeIssues, issueMessage } from '../protocol/zod-issues.js';
import type { StreamName } from '../records/index.js';
import type { Selection } from './selection.js';

/**
 * How far one stream has got, in a size that does not grow with the app:
 * - `covered`: every selected channel's data up to this instant is written (messages/reactions:
 *   created up to it, the `cover`; channels/members: updated up to it, the `updated_at`); users:
 *   query users' listing up to it, the `cover`;
 * - `lagging`: channels behind that, each with its own instant (null: nothing yet, read whole);
 * - `swept`: when every selected channel was last exported whatever its activity;
 * - `selection`: the channel selection `covered` is about (a channel outside it is new: read whole);
 * - `progress`: a sync that stopped midway had written every channel of its selection up to
 *   `through` (in cid order) up to `until` (and swept them, when `sweep`).
 */
export interface CompactState {
  covered?: string;
  /**
   * channels/members only: the start of the last sync, after which a channel's updated_at or
   * created_at is activity (their `covered` is a row's updated_at, which can lag far behind).
   */
  activeSince?: string;
  swept?: string;
  lagging: Record<string, string | null>;
  selection?: Selection;
  progress?: Progress;
  /** messages/reactions/users: the newest updated_at written, for the record (Airbyte's tests look for the cursor field). */
  newest?: string;
}

export interface Progress {
  until: string;
  through: string;
  sweep: boolean;
  /** The selection that sync ran with, when it differs from the state's. */
  selection?: Selection;
}

/** A state of version 0.1.0: a cursor per channel, or an updated_at with the list of channels synced. */
export interface LegacyState {
  cursors?: Record<string, string>;
  updatedAt?: string;
  cids?: string[];
}

export type StoredState = { kind: 'none' } | { kind: 'compact'; state: CompactState } | { kind: 'legacy'; state: LegacyState };

export type StateShape = 'window' | 'rows' | 'users';

export function shapeOf(stream: StreamName): StateShape {
  return stream === 'messages' || stream === 'reactions' ? 'window' : stream === 'users' ? 'users' : 'rows';
}

/** Keys only the compact shape has: a state with none of them is one of 0.1.0 (`cursors`, `cids`, `updated_at`). */
const COMPACT_KEYS = ['cover', 'swept', 'lagging', 'selection', 'progress'];

const instant = z.string().refine(isTimestamp, { error: 'must be an RFC3339 date-time' });
const selectionSchema = z.object({
  channel_types: z.array(z.string()),
  channel_ids: z.array(z.string()),
  exclude_channel_ids: z.array(z.string()),
});
const common = {
  swept: instant.optional(),
  lagging: z.record(z.string(), instant.nullable()).default({}),
  selection: selectionSchema.optional(),
  progress: z.object({ until: instant, through: z.string(), sweep: z.boolean(), selection: selectionSchema.optional() }).optional(),
};
const windowSchema = z.looseObject({ cover: instant.optional(), updated_at: instant.nullish(), ...common });
const rowsSchema = z.looseObject({ updated_at: instant.nullish(), cover: instant.optional(), ...common });
const legacySchema = z.looseObject({
  cursors: z.record(z.string(), instant).optional(),
  updated_at: instant.nullish(),
  cids: z.array(z.string()).optional(),
});

const usersSchema = z.looseObject({ cover: instant.optional(), swept: instant.optional(), updated_at: instant.nullish() });

/** Reads one stream's stream_state; anything off its shape is a ConfigError naming the stream. */
export function readStoredState(stream: StreamName, raw: Record<string, unknown> | undefined): StoredState {
  if (raw === undefined || Object.keys(raw).length === 0) return { kind: 'none' };
  const shape = shapeOf(stream);
  if (shape === 'users') return readUsersState(raw);
  if (!COMPACT_KEYS.some((key) => key in raw)) {
    const legacy = parse(stream, legacySchema, raw);
    return {
      kind: 'legacy',
      state: {
        ...(legacy.cursors && { cursors: legacy.cursors }),
        ...(legacy.updated_at && { updatedAt: legacy.updated_at }),
        ...(legacy.cids && { cids: legacy.cids }),
      },
    };
  }
  const parsed = parse(stream, shape === 'window' ? windowSchema : rowsSchema, raw);
  const covered = shape === 'window' ? parsed.cover : (parsed.updated_at ?? undefined);
  const state: CompactState = { lagging: parsed.lagging };
  if (covered !== undefined) state.covered = covered;
  if (shape === 'rows' && parsed.cover !== undefined) state.activeSince = parsed.cover;
  if (parsed.swept !== undefined) state.swept = parsed.swept;
  if (parsed.selection !== undefined) state.selection = parsed.selection;
  if (parsed.progress !== undefined) state.progress = parsed.progress;
  if (shape === 'window' && parsed.updated_at) state.newest = parsed.updated_at;
  return { kind: 'compact', state };
}

/**
 * A users state covers query users' listing up to `cover`. One without it was written before users came
 * from query users (0.1.0's `{updated_at}`, or `{updated_at, swept}` since): it knew only the users
 * records carried, so the next sync lists every user.
 */
function readUsersState(raw: Record<string, unknown>): StoredState {
  const parsed = parse('users', usersSchema, raw);
  if (parsed.cover === undefined) return { kind: 'none' };
  const state: CompactState = { covered: parsed.cover, lagging: {} };
  if (parsed.swept !== undefined) state.swept = parsed.swept;
  if (parsed.updated_at) state.newest = parsed.updated_at;
  return { kind: 'compact', state };
}

/** The stream_state to print. */
export function writeStoredState(stream: StreamName, state: CompactState): Record<string, unknown> {
  const shape = shapeOf(stream);
  const out: Record<string, unknown> = {};
  if (shape === 'window' || shape === 'users') {
    if (state.covered !== undefined) out.cover = state.covered;
    if (state.newest !== undefined) out.updated_at = state.newest;
  } else {
    if (state.covered !== undefined) out.updated_at = state.covered;
    if (shape === 'rows' && state.activeSince !== undefined) out.cover = state.activeSince;
  }
  if (state.swept !== undefined) out.swept = state.swept;
  if (shape !== 'users') {
    out.lagging = state.lagging;
    if (state.selection !== undefined) out.selection = state.selection;
  }
  if (state.progress !== undefined) out.progress = state.progress;
  return out;
}

/**
 * When the last sync of 0.1.0 ran: it exported every channel, so it was a full sweep. Its message
 * cursors all moved to its start; the newest of them (or of the updated_at cursors) is the best guess.
 */
export function legacySweptAt(states: Iterable<StoredState>): string | undefined {
  let at: string | undefined;
  for (const stored of states) {
    if (stored.kind !== 'legacy') continue;
    for (const cursor of Object.values(stored.state.cursors ?? {})) at = latest(at, cursor);
    if (stored.state.cursors === undefined) at = latest(at, stored.state.updatedAt);
  }
  return at;
}

/**
 * A 0.1.0 state as a compact one, given every channel of the selection (`listed`): its cursors are
 * honoured (behind the newest: lagging with their own), a channel it did not know is lagging with
 * nothing covered (read whole, as 0.1.0 would have), no other channel is read whole again.
 */
export function migrateLegacy(
  stream: StreamName,
  legacy: LegacyState,
  listed: readonly string[],
  selection: Selection,
  sweptAt: string | undefined,
): StoredState {
  const lagging: Record<string, string | null> = {};
  if (shapeOf(stream) === 'window') {
    const cursors = legacy.cursors ?? {};
    const cover = Object.values(cursors).reduce<string | undefined>((newest, cursor) => latest(newest, cursor), undefined);
    if (cover === undefined) return { kind: 'none' };
    for (const cid of listed) {
      const cursor = cursors[cid];
      if (cursor === undefined) lagging[cid] = null;
      else if (cursor !== cover) lagging[cid] = cursor;
    }
    const state: CompactState = { covered: cover, lagging, selection };
    if (sweptAt !== undefined) state.swept = sweptAt;
    if (legacy.updatedAt !== undefined) state.newest = legacy.updatedAt;
    return { kind: 'compact', state };
  }
  if (legacy.updatedAt === undefined) return { kind: 'none' };
  if (legacy.cids !== undefined) {
    const known = new Set(legacy.cids);
    for (const cid of listed) if (!known.has(cid)) lagging[cid] = null;
  }
  const swept = sweptAt ?? legacy.updatedAt;
  const state: CompactState = { covered: legacy.updatedAt, lagging, swept };
  if (shapeOf(stream) === 'rows') Object.assign(state, { selection, activeSince: swept });
  return { kind: 'compact', state };
}

function parse<T>(stream: StreamName, schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw, { error: issueMessage });
  if (!result.success) throw new ConfigError(`The state of stream "${stream}" is invalid: ${describeIssues(result.error).join('; ')}`);
  return result.data;
}
