import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { Instant } from '../utils/instant.js';
import { isTimestamp } from '../utils/timestamps.js';
import { describeIssues, issueMessage } from '../protocol/zod-issues.js';
import type { StreamName } from '../records/index.js';
import { isLegacy, legacyOf, legacySchema, type LegacyState } from './legacy-state.js';
import type { StreamState } from './stream-state.js';

/** One stream's stream_state as read: nothing, a state, or a state of version 0.1.0 to migrate. */
export type StoredState = { kind: 'none' } | { kind: 'compact'; state: StreamState } | { kind: 'legacy'; state: LegacyState };

const instant = z
  .string()
  .refine(isTimestamp, { error: 'must be an RFC3339 date-time' })
  .transform((text) => Instant.of(text));
const selectionSchema = z.object({
  channel_types: z.array(z.string()),
  channel_ids: z.array(z.string()),
  exclude_channel_ids: z.array(z.string()),
});
const usersSchema = z.looseObject({ cover: instant.optional(), swept: instant.optional(), updated_at: instant.nullish() });
const channelStreamSchema = usersSchema.extend({
  lagging: z.record(z.string(), instant.nullable()).default({}),
  selection: selectionSchema.optional(),
  progress: z
    .object({ until: instant, created_before: instant.optional(), through: z.string().optional(), sweep: z.boolean(), selection: selectionSchema.optional() })
    .optional(),
});

/** Reads one stream's stream_state; anything off its shape is a ConfigError naming the stream. */
export function readStoredState(stream: StreamName, raw: Record<string, unknown> | undefined): StoredState {
  if (raw === undefined || Object.keys(raw).length === 0) return { kind: 'none' };
  if (stream === 'users') return readUsersState(raw);
  if (isLegacy(raw)) return { kind: 'legacy', state: legacyOf(parse(stream, legacySchema(instant), raw)) };
  const { cover, updated_at, swept, lagging, selection, progress } = parse(stream, channelStreamSchema, raw);
  return { kind: 'compact', state: { lagging, ...defined({ cover, updatedAt: updated_at ?? undefined, swept, selection, progress: progressOf(progress) }) } };
}

type StoredProgress = z.infer<typeof channelStreamSchema>['progress'];

/**
 * A midway sync's progress. One written before the listing went in created_at order (`through`, a cid:
 * every channel up to it in cid order) says nothing of a created_at order: it is dropped, and the
 * channels that sync had written are exported again from the state's cover (nothing is skipped).
 */
function progressOf(progress: StoredProgress): StreamState['progress'] {
  if (progress?.created_before === undefined) return undefined;
  const { until, created_before: createdBefore, sweep, selection } = progress;
  return { until, createdBefore, sweep, ...defined({ selection }) };
}

/**
 * A users state covers query users' listing up to `cover`. One without it was written before users came
 * from query users (0.1.0's `{updated_at}`, or `{updated_at, swept}` since): it knew only the users
 * records carried, so the next sync lists every user.
 */
function readUsersState(raw: Record<string, unknown>): StoredState {
  const { cover, swept, updated_at } = parse('users', usersSchema, raw);
  if (cover === undefined) return { kind: 'none' };
  return { kind: 'compact', state: { lagging: {}, ...defined({ cover, swept, updatedAt: updated_at ?? undefined }) } };
}

/** The state a stream has, when it has one of today's shapes. */
export function compactOf(stored: StoredState | undefined): StreamState | undefined {
  return stored?.kind === 'compact' ? stored.state : undefined;
}

/** The stream_state to print: the same names, `updated_at` for updatedAt, each instant as the text it came with; users have no channels to name. */
export function writeStoredState(stream: StreamName, state: StreamState): Record<string, unknown> {
  const { selection, progress } = state;
  const [cover, updated_at, swept] = [state.cover?.toString(), state.updatedAt?.toString(), state.swept?.toString()];
  if (stream === 'users') return defined({ cover, updated_at, swept });
  const lagging = Object.fromEntries(Object.entries(state.lagging).map(([cid, at]) => [cid, at?.toString() ?? null]));
  const written =
    progress &&
    defined({ until: progress.until.toString(), created_before: progress.createdBefore.toString(), sweep: progress.sweep, selection: progress.selection });
  return defined({ cover, updated_at, swept, lagging, selection, progress: written });
}

type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/** The fields that are defined: an absent key, not `undefined`, is how optional fields are left out. */
function defined<T extends Record<string, unknown>>(fields: T): Defined<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Defined<T>;
}

function parse<T>(stream: StreamName, schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw, { error: issueMessage });
  if (!result.success) throw new ConfigError(`The state of stream "${stream}" is invalid: ${describeIssues(result.error).join('; ')}`);
  return result.data;
}
