// Placeholder with the final exports; replaced by the streams implementation.
export const STREAM_NAMES = ['channels', 'members', 'messages', 'reactions', 'users'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/** One entry of discover's catalog (an AirbyteStream). */
export interface AirbyteStreamDefinition {
  name: StreamName;
  json_schema: Record<string, unknown>;
  supported_sync_modes: ['full_refresh', 'incremental'];
  source_defined_cursor: true;
  default_cursor_field: string[];
  source_defined_primary_key: string[][];
  is_resumable: true;
}

export function airbyteStreams(): AirbyteStreamDefinition[] {
  return [];
}

export function isStreamName(name: string): name is StreamName {
  return (STREAM_NAMES as readonly string[]).includes(name);
}
