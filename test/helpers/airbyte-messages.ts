// The Airbyte messages this source prints, as zod schemas written from the official protocol schema
// (airbyte_protocol.yaml, v0.18.0), for the tests to check the connector's output against. Every
// object there allows additional properties, so the object schemas here are loose. What the
// connector reads (the catalog's sync modes, state messages) is src/protocol/inputs.ts's.
import { z } from 'zod';
import { stateMessageSchema, streamDescriptorSchema, syncModeSchema } from '../../src/protocol/inputs.js';

export { stateFileSchema } from '../../src/protocol/inputs.js';

export const destinationSyncModeSchema = z.enum(['append', 'overwrite', 'append_dedup', 'update', 'soft_delete']);

export const recordMessageSchema = z.looseObject({
  stream: z.string(),
  namespace: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
  emitted_at: z.int(),
});

export const logLevelSchema = z.enum(['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE']);

export const logMessageSchema = z.looseObject({
  level: logLevelSchema,
  message: z.string(),
  stack_trace: z.string().optional(),
});

export const failureTypeSchema = z.enum(['system_error', 'config_error', 'transient_error']);

export const errorTraceSchema = z.looseObject({
  message: z.string(),
  internal_message: z.string().optional(),
  stack_trace: z.string().optional(),
  failure_type: failureTypeSchema.optional(),
  stream_descriptor: streamDescriptorSchema.optional(),
});

export const estimateTraceSchema = z.looseObject({
  name: z.string(),
  type: z.enum(['STREAM', 'SYNC']),
  namespace: z.string().optional(),
  row_estimate: z.int().optional(),
  byte_estimate: z.int().optional(),
});

export const streamStatusSchema = z.enum(['STARTED', 'RUNNING', 'COMPLETE', 'INCOMPLETE']);

export const streamStatusTraceSchema = z.looseObject({
  stream_descriptor: streamDescriptorSchema,
  status: streamStatusSchema,
  reasons: z
    .array(
      z.object({
        type: z.literal('RATE_LIMITED'),
        rate_limited: z.object({ quota_reset: z.int().optional() }).optional(),
      }),
    )
    .optional(),
});

export const traceMessageSchema = z.looseObject({
  type: z.enum(['ERROR', 'ESTIMATE', 'STREAM_STATUS', 'ANALYTICS']),
  emitted_at: z.number(),
  error: errorTraceSchema.optional(),
  estimate: estimateTraceSchema.optional(),
  stream_status: streamStatusTraceSchema.optional(),
});

export const connectorSpecificationSchema = z.looseObject({
  documentationUrl: z.url().optional(),
  changelogUrl: z.url().optional(),
  connectionSpecification: z.record(z.string(), z.unknown()),
  protocol_version: z.string().optional(),
});

export const connectionStatusSchema = z.looseObject({
  status: z.enum(['SUCCEEDED', 'FAILED']),
  message: z.string().optional(),
});

export const airbyteStreamSchema = z.looseObject({
  name: z.string(),
  json_schema: z.record(z.string(), z.unknown()),
  supported_sync_modes: z.array(syncModeSchema).min(1),
  source_defined_cursor: z.boolean().optional(),
  default_cursor_field: z.array(z.string()).optional(),
  source_defined_primary_key: z.array(z.array(z.string())).optional(),
  namespace: z.string().optional(),
  is_resumable: z.boolean().optional(),
});

export const catalogSchema = z.looseObject({ streams: z.array(airbyteStreamSchema) });

export const configuredStreamSchema = z.looseObject({
  stream: airbyteStreamSchema,
  sync_mode: syncModeSchema,
  destination_sync_mode: destinationSyncModeSchema,
  cursor_field: z.array(z.string()).optional(),
  primary_key: z.array(z.array(z.string())).optional(),
  generation_id: z.int().optional(),
  minimum_generation_id: z.int().optional(),
  sync_id: z.int().optional(),
});

export const configuredCatalogSchema = z.looseObject({ streams: z.array(configuredStreamSchema) });

export const airbyteMessageSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('RECORD'), record: recordMessageSchema }),
  z.looseObject({ type: z.literal('STATE'), state: stateMessageSchema }),
  z.looseObject({ type: z.literal('LOG'), log: logMessageSchema }),
  z.looseObject({ type: z.literal('TRACE'), trace: traceMessageSchema }),
  z.looseObject({ type: z.literal('SPEC'), spec: connectorSpecificationSchema }),
  z.looseObject({ type: z.literal('CONNECTION_STATUS'), connectionStatus: connectionStatusSchema }),
  z.looseObject({ type: z.literal('CATALOG'), catalog: catalogSchema }),
]);

export type RecordMessage = z.infer<typeof recordMessageSchema>;
export type LogLevel = z.infer<typeof logLevelSchema>;
export type LogMessage = z.infer<typeof logMessageSchema>;
export type ErrorTrace = z.infer<typeof errorTraceSchema>;
export type StreamStatus = z.infer<typeof streamStatusSchema>;
export type TraceMessage = z.infer<typeof traceMessageSchema>;
export type ConnectorSpecification = z.infer<typeof connectorSpecificationSchema>;
export type ConnectionStatus = z.infer<typeof connectionStatusSchema>;
export type AirbyteStream = z.infer<typeof airbyteStreamSchema>;
export type ConfiguredCatalog = z.infer<typeof configuredCatalogSchema>;
export type AirbyteMessage = z.infer<typeof airbyteMessageSchema>;
