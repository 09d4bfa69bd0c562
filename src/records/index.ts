import { channels } from './channels.js';
import { CURSOR_FIELD, DELETION_MARKER, SOFT_DELETABLE_STREAMS, STREAM_NAMES, type StreamDefinition, type StreamName } from './definition.js';
import { airbyteJsonSchema } from './json-schema.js';
import { isRecord } from '../utils/is-record.js';
import { members } from './members.js';
import { messages } from './messages.js';
import { reactions } from './reactions.js';
import { users } from './users.js';

export { DELETION_MARKER, SOFT_DELETABLE_STREAMS, STREAM_NAMES, isStreamName, type StreamDefinition, type StreamName } from './definition.js';
export { toRecords, type InvalidRecordReport, type StreamRecord } from './to-records.js';

const STREAMS: Readonly<Record<StreamName, StreamDefinition>> = { channels, members, messages, reactions, users };

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

let schemas: Record<StreamName, Record<string, unknown>> | undefined;

/** Each stream's record schema as JSON schema, generated from its zod type (what schemas/*.json hold). */
export function streamJsonSchemas(): Record<StreamName, Record<string, unknown>> {
  schemas ??= Object.fromEntries(STREAM_NAMES.map((name) => [name, withDeletionMarker(name, airbyteJsonSchema(STREAMS[name].record))])) as Record<
    StreamName,
    Record<string, unknown>
  >;
  return schemas;
}

/** A soft-deletable stream's schema declares DELETION_MARKER last, typed as its `deleted_at`. */
function withDeletionMarker(name: StreamName, schema: Record<string, unknown>): Record<string, unknown> {
  const { properties } = schema;
  if (!SOFT_DELETABLE_STREAMS.includes(name) || !isRecord(properties)) return schema;
  return { ...schema, properties: { ...properties, [DELETION_MARKER]: properties.deleted_at } };
}

export function airbyteStreams(): AirbyteStreamDefinition[] {
  const jsonSchemas = streamJsonSchemas();
  return STREAM_NAMES.map((name) => ({
    name,
    json_schema: structuredClone(jsonSchemas[name]),
    // full_refresh first: Airbyte's basic_read test syncs each stream in its first mode.
    supported_sync_modes: ['full_refresh', 'incremental'],
    source_defined_cursor: true,
    default_cursor_field: [CURSOR_FIELD],
    source_defined_primary_key: STREAMS[name].primaryKey.map((path) => [...path]),
    is_resumable: true,
  }));
}
