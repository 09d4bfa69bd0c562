import { z } from 'zod';

export const STREAM_NAMES = ['channels', 'members', 'messages', 'reactions', 'users'] as const;
export const streamNameSchema = z.enum(STREAM_NAMES);
export type StreamName = z.infer<typeof streamNameSchema>;

export function isStreamName(name: string): name is StreamName {
  return streamNameSchema.safeParse(name).success;
}

/** What the connector knows of one stream; its cursor is `updated_at` for all five. */
export interface StreamDefinition<T extends Record<string, unknown> = Record<string, unknown>> {
  name: StreamName;
  /** The record's schema: Stream's own field names, open to custom fields. */
  record: z.ZodType<T>;
  primaryKey: string[][];
}

export const CURSOR_FIELD = 'updated_at';

/**
 * Airbyte's field for "this record was deleted" (protocol doc, "Deletions"): a deduplicating
 * destination removes the row whose latest record carries it. Written, from `deleted_at`, only when
 * mark_soft_deletions is on; declared always, so a catalog need not change when the key does.
 */
export const DELETION_MARKER = '_ab_cdc_deleted_at';

/** The streams whose records Stream soft-deletes (they carry `deleted_at`). */
export const SOFT_DELETABLE_STREAMS: readonly StreamName[] = ['channels', 'messages', 'users'];
