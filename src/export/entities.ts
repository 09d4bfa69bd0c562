import { isRecord } from '../utils/is-record.js';

/** The five kinds of entity an export file holds that the connector replicates. */
export type EntityKind = 'channel' | 'member' | 'message' | 'reaction' | 'user';

/** One entity read from an export file, not yet checked against its stream's schema. */
export interface ExportEntity {
  kind: EntityKind;
  /** The channel of a channel, member, message or reaction, when the file tells it. */
  cid?: string;
  data: Record<string, unknown>;
  /**
   * The JSON text `data` was parsed from, in UTF-8, when the line carried it verbatim (a wrapped v2
   * line): a record that is `data` unchanged can be written without serialising it again.
   */
  json?: Buffer;
  /**
   * Set on messages of v1 exports, which have no reaction lines: their reactions are known only
   * through `latest_reactions`.
   */
  reactionsInline?: true;
}

/** Why a line was passed over; the caller logs it. */
export interface SkippedLine {
  skip: string;
}

export interface LineContext {
  /** The cid of the last channel seen in the file, for entities that do not name theirs. */
  cid?: string;
}

// Type names of Stream's import format (`{type, data}` / `{type, item}`), which v2 lines most likely share.
const WRAPPED_KINDS = new Map<string, EntityKind>([
  ['channel', 'channel'],
  ['member', 'member'],
  ['channel_member', 'member'],
  ['message', 'message'],
  ['reaction', 'reaction'],
  ['user', 'user'],
]);

const NOT_REPLICATED = new Set(['read', 'device', 'future_channel_ban']);

const WRAPPED_HEAD = Buffer.from('{"type":"');
const WRAPPED_DATA = Buffer.from('","data":');
const QUOTE = 0x22;
const CLOSING_BRACE = 0x7d;

/** Where the `data` of a line of the shape `{"type":"<type>","data":<data>}` lies, found without parsing it. */
export interface WrappedLine {
  type: string;
  /** `data` is `line.subarray(dataStart, line.length - 1)`; whether that is one JSON value is for JSON.parse to say. */
  dataStart: number;
}

/**
 * The type and `data` of a line written exactly `{"type":"<type>","data":<data>}` (from byte `start`),
 * the way Go writes a wrapped v2 line, with a type the connector replicates; undefined for any other
 * line. Parsing `data` alone then proves the line is that wrapper: bytes that are not one JSON value
 * (a duplicate key after it, say) fail, and the whole line is read the general way.
 */
export function splitWrapped(line: Buffer, start: number): WrappedLine | undefined {
  const typeStart = start + WRAPPED_HEAD.length;
  if (line.length <= typeStart || line[line.length - 1] !== CLOSING_BRACE || line.compare(WRAPPED_HEAD, 0, WRAPPED_HEAD.length, start, typeStart) !== 0) {
    return undefined;
  }
  const typeEnd = line.indexOf(QUOTE, typeStart);
  const dataStart = typeEnd + WRAPPED_DATA.length;
  if (typeEnd === -1 || dataStart >= line.length || line.compare(WRAPPED_DATA, 0, WRAPPED_DATA.length, typeEnd, dataStart) !== 0) return undefined;
  const type = line.toString('latin1', typeStart, typeEnd);
  return WRAPPED_KINDS.has(type) ? { type, dataStart } : undefined;
}

/** Tells what one parsed export line holds: a wrapped `{type, data|item}` entity or a bare one. */
export function classifyLine(value: unknown, context: LineContext): ExportEntity | SkippedLine {
  if (!isRecord(value)) return { skip: `a line holding ${describe(value)}, not an object` };
  const wrapped = unwrap(value);
  if (wrapped) return classifyWrapped(wrapped.type, wrapped.data, context, value);
  const kind = bareKind(value);
  return typeof kind === 'string' ? toEntity(kind, value, context) : kind;
}

/**
 * classifyLine for a line read through splitWrapped: `data` is what `json` holds, and the entity
 * keeps those bytes when they are given.
 */
export function classifyWrappedData(type: string, data: unknown, json: Buffer | undefined, context: LineContext): ExportEntity | SkippedLine {
  return isRecord(data) ? classifyWrapped(type, data, context, undefined, json) : classifyLine({ type, data }, context);
}

/** The cid of the channel a member, message or reaction belongs to, as the object itself tells it. */
export function ownerCid(data: Record<string, unknown>): string | undefined {
  if (typeof data.cid === 'string') return data.cid;
  if (typeof data.channel_cid === 'string') return data.channel_cid;
  if (typeof data.channel_type === 'string' && typeof data.channel_id === 'string') {
    return `${data.channel_type}:${data.channel_id}`;
  }
  return undefined;
}

/** A channel's own cid, or `type:id` when it only carries those. */
export function channelCid(data: Record<string, unknown>): string | undefined {
  if (typeof data.cid === 'string') return data.cid;
  if (typeof data.type === 'string' && typeof data.id === 'string') return `${data.type}:${data.id}`;
  return undefined;
}

function classifyWrapped(
  type: string,
  data: Record<string, unknown>,
  context: LineContext,
  wrapper?: Record<string, unknown>,
  json?: Buffer,
): ExportEntity | SkippedLine {
  const kind = WRAPPED_KINDS.get(type);
  if (kind) return toEntity(kind, data, context, wrapper, json);
  return NOT_REPLICATED.has(type) ? { skip: `a "${type}" line (not replicated)` } : { skip: `a line of unknown type "${type}"` };
}

function toEntity(kind: EntityKind, data: Record<string, unknown>, context: LineContext, wrapper?: Record<string, unknown>, json?: Buffer): ExportEntity {
  const cid = kind === 'user' ? undefined : kind === 'channel' ? channelCid(data) : (ownerCid(data) ?? (wrapper && ownerCid(wrapper)) ?? context.cid);
  const entity: ExportEntity = cid === undefined ? { kind, data } : { kind, cid, data };
  if (json !== undefined) entity.json = json;
  return entity;
}

function unwrap(value: Record<string, unknown>): { type: string; data: Record<string, unknown> } | undefined {
  if (typeof value.type !== 'string') return undefined;
  // A bare message or reaction also has a string `type`; these fields tell one from a wrapper.
  if ('id' in value || 'message_id' in value || 'user_id' in value || 'created_at' in value) return undefined;
  const data = isRecord(value.data) ? value.data : isRecord(value.item) ? value.item : undefined;
  return data && { type: value.type, data };
}

// The field heuristics of the export notes (§5.3), most specific first.
const BARE_KINDS: ReadonlyArray<readonly [EntityKind, (value: Record<string, unknown>) => boolean]> = [
  ['reaction', looksLikeReaction],
  ['member', looksLikeMember],
  ['channel', looksLikeChannel],
  ['message', looksLikeMessage],
  ['user', looksLikeUser],
];

function bareKind(value: Record<string, unknown>): EntityKind | SkippedLine {
  if ('last_read' in value) return { skip: 'a read-state line (last_read; not replicated)' };
  for (const [kind, looksLike] of BARE_KINDS) if (looksLike(value)) return kind;
  return { skip: `an unrecognised line with the fields ${fieldList(value)}` };
}

function hasText(value: Record<string, unknown>): boolean {
  return 'text' in value || 'html' in value;
}

function looksLikeReaction(value: Record<string, unknown>): boolean {
  return typeof value.message_id === 'string' && typeof value.type === 'string' && 'score' in value;
}

function looksLikeMember(value: Record<string, unknown>): boolean {
  return typeof value.user_id === 'string' && ('channel_role' in value || 'status' in value) && !hasText(value);
}

function looksLikeChannel(value: Record<string, unknown>): boolean {
  return channelCid(value) !== undefined && ('config' in value || 'member_count' in value || 'frozen' in value) && !hasText(value);
}

function looksLikeMessage(value: Record<string, unknown>): boolean {
  return typeof value.id === 'string' && hasText(value);
}

function looksLikeUser(value: Record<string, unknown>): boolean {
  return typeof value.id === 'string' && ('role' in value || 'created_at' in value) && !('cid' in value || 'user_id' in value || 'message_id' in value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function fieldList(value: Record<string, unknown>): string {
  const keys = Object.keys(value);
  const shown = keys.slice(0, 12).join(', ');
  return keys.length > 12 ? `${shown}, … (${keys.length} in all)` : shown || '(none)';
}
