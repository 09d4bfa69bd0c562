import type { z } from 'zod';

export const STREAM_NAMES = ['channels', 'members', 'messages', 'reactions', 'users'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

export function isStreamName(name: string): name is StreamName {
  return (STREAM_NAMES as readonly string[]).includes(name);
}

/** What the connector knows of one stream; its cursor is `updated_at` for all five. */
export interface StreamDefinition<T extends Record<string, unknown> = Record<string, unknown>> {
  name: StreamName;
  /** The record's schema: Stream's own field names, open to custom fields. */
  record: z.ZodType<T>;
  primaryKey: string[][];
}

export const CURSOR_FIELD = 'updated_at';
