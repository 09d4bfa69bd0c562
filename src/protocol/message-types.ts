// The parts of Airbyte messages the connector fills in itself (writer.ts writes the messages around
// them), typed from the official protocol schema (airbyte_protocol.yaml, v0.18.0). The schemas of
// whole messages, which only tests check output against, are test/helpers/airbyte-messages.ts.
import type { FailureType } from '../errors.js';

export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';

export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export interface ErrorTrace {
  message: string;
  internal_message?: string;
  stack_trace?: string;
  failure_type?: FailureType;
  stream_descriptor?: { name: string; namespace?: string };
}
