// The files the platform hands to `read`: the configured catalog and the state. Anything wrong in
// them is the user's to fix, so every problem becomes one ConfigError naming the file.
import { isRecord } from '../utils/is-record.js';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { STREAM_NAMES, isStreamName, type StreamName } from '../records/index.js';
import { readJsonFile } from './json-file.js';
import { describeIssues, describeValue, issueMessage } from './zod-issues.js';

export type StreamStates = Map<string, Record<string, unknown>>;

// The protocol's objects allow additional properties: these schemas are loose, readers ignore what they do not know.
export const syncModeSchema = z.enum(['full_refresh', 'incremental']);
export type SyncMode = z.infer<typeof syncModeSchema>;

export const streamDescriptorSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
});

export const stateBlobSchema = z.record(z.string(), z.unknown());

export const streamStateSchema = z.looseObject({
  stream_descriptor: streamDescriptorSchema,
  stream_state: stateBlobSchema.nullish(),
});

export const stateStatsSchema = z.looseObject({
  recordCount: z.number().optional(),
  rejectedRecordCount: z.number().optional(),
});

export const stateMessageSchema = z.looseObject({
  type: z.enum(['GLOBAL', 'STREAM', 'LEGACY']).optional(),
  stream: streamStateSchema.optional(),
  global: z
    .looseObject({
      shared_state: stateBlobSchema.nullish(),
      stream_states: z.array(streamStateSchema),
    })
    .optional(),
  data: stateBlobSchema.optional(),
  sourceStats: stateStatsSchema.optional(),
  destinationStats: stateStatsSchema.optional(),
});

/** What `read --state` accepts: a JSON array of state messages (per-stream, or one global). */
export const stateFileSchema = z.array(stateMessageSchema);
type StateMessage = z.infer<typeof stateMessageSchema>;

/** One stream of the configured catalog. */
export interface ConfiguredStream {
  name: StreamName;
  syncMode: SyncMode;
}

export async function readCatalogFile(path: string): Promise<ConfiguredStream[]> {
  const raw = await readJsonFile(path, 'catalog');
  if (raw === undefined) throw new ConfigError(`The catalog file ${path} is empty`);
  return parseCatalog(raw, path);
}

/** No --state, an empty file, `null` or `[]` all mean: no state. */
export async function readStateFile(path: string | undefined): Promise<StreamStates> {
  if (path === undefined) return new Map();
  return parseState(await readJsonFile(path, 'state'), path);
}

const streamNameSchema = z.enum(STREAM_NAMES, {
  error: (issue) => `names no stream of this source (${describeValue(issue.input)}); the streams are ${STREAM_NAMES.join(', ')}`,
});

// Only what a source needs: destination_sync_mode and every other field are the platform's business.
const catalogInputSchema = z.object({
  streams: z
    .array(
      z.object({
        stream: z.object({ name: streamNameSchema }),
        sync_mode: syncModeSchema,
      }),
    )
    .min(1)
    .superRefine((streams, context) => {
      const seen = new Set<string>();
      streams.forEach(({ stream }, index) => {
        if (seen.has(stream.name)) {
          context.addIssue({ code: 'custom', path: [index, 'stream', 'name'], message: `repeats the stream "${stream.name}"` });
        }
        seen.add(stream.name);
      });
    }),
});

/** A ConfiguredAirbyteCatalog → the configured streams, in catalog order. */
export function parseCatalog(raw: unknown, path: string): ConfiguredStream[] {
  const result = catalogInputSchema.safeParse(raw, { error: issueMessage });
  if (!result.success) {
    throw new ConfigError(`The catalog file ${path} is not a valid configured catalog: ${describeIssues(result.error).join('; ')}`);
  }
  return result.data.streams.map(({ stream, sync_mode }) => ({ name: stream.name, syncMode: sync_mode }));
}

/**
 * The state input → stream name → stream_state. Accepts what the platform and the acceptance
 * tests send: a JSON array of STREAM state messages (matched by name, namespace ignored; a null
 * or missing stream_state means no state; entries for streams we do not have are ignored), a
 * GLOBAL message's stream_states, and defensively a single message not wrapped in an array and
 * a LEGACY state (an object of stream name → state, bare or in a LEGACY message's `data`).
 */
export function parseState(raw: unknown, path: string): StreamStates {
  if (raw === undefined || raw === null) return new Map();
  if (isRecord(raw) && !looksLikeStateMessage(raw)) return legacyState(raw, path);
  const messages = isRecord(raw) ? [raw] : raw;
  const result = stateFileSchema.safeParse(messages, { error: issueMessage });
  if (!result.success) {
    throw new ConfigError(`The state file ${path} is not a valid state: ${describeIssues(result.error).join('; ')}`);
  }
  const states: StreamStates = new Map();
  result.data.forEach((message, index) => {
    for (const [name, streamState] of streamStatesOf(message, index, path)) {
      if (!isStreamName(name)) continue;
      if (streamState === undefined) states.delete(name);
      else states.set(name, streamState);
    }
  });
  return states;
}

function streamStatesOf(message: StateMessage, index: number, path: string): Array<[string, Record<string, unknown> | undefined]> {
  const type = message.type ?? (message.stream !== undefined ? 'STREAM' : message.global !== undefined ? 'GLOBAL' : 'LEGACY');
  if (type === 'STREAM' && message.stream !== undefined) {
    return [[message.stream.stream_descriptor.name, message.stream.stream_state ?? undefined]];
  }
  if (type === 'GLOBAL' && message.global !== undefined) {
    return message.global.stream_states.map((state) => [state.stream_descriptor.name, state.stream_state ?? undefined]);
  }
  if (type === 'LEGACY' && message.data !== undefined) return [...legacyState(message.data, path)];
  throw new ConfigError(`The state file ${path} is not a valid state: [${index}] is a ${type} state message without its "${fieldOf(type)}" field`);
}

function legacyState(raw: Record<string, unknown>, path: string): StreamStates {
  const states: StreamStates = new Map();
  for (const [name, value] of Object.entries(raw)) {
    if (!isStreamName(name) || value === null || value === undefined) continue;
    if (!isRecord(value)) {
      throw new ConfigError(`The state file ${path} is not a valid state: the state of "${name}" must be an object, got ${describeValue(value)}`);
    }
    states.set(name, value);
  }
  return states;
}

function looksLikeStateMessage(value: Record<string, unknown>): boolean {
  return 'type' in value || 'stream' in value || 'global' in value;
}

function fieldOf(type: string): string {
  return type === 'STREAM' ? 'stream' : type === 'GLOBAL' ? 'global' : 'data';
}
