import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ExportEntity } from './data-set.js';

export type LineFormat = 'wrapped' | 'bare';

const CHUNK_CHARS = 64 * 1024;

// Go's encoding/json escapes these; real exports therefore contain \u003c, \u003e and \u0026.
const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => GO_ESCAPES[ch] as string);
}

/** Joins small pieces into chunks of about 64 KiB: fewer, larger writes without holding more than one chunk. */
function* chunked(pieces: Iterable<string>): Generator<string> {
  let buffer = '';
  for (const piece of pieces) {
    buffer += piece;
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer !== '') yield buffer;
}

function* lines(entities: Iterable<ExportEntity>, format: LineFormat): Generator<string> {
  for (const entity of entities) {
    const line = format === 'wrapped' ? { type: entity.type, data: entity.data } : entity.data;
    yield `${goJson(line)}\n`;
  }
}

/** v2 channel exports and user exports: one JSON entity per line. */
export function jsonLinesFile(entities: Iterable<ExportEntity>, format: LineFormat): Iterable<string> {
  return chunked(lines(entities, format));
}

function* v1Pieces(entities: Iterable<ExportEntity>): Generator<string> {
  let open: 'none' | 'members' | 'messages' = 'none';
  let inArray = 0;
  const close = { none: '', members: '],"messages":[]}', messages: ']}' };
  yield '[';
  for (const entity of entities) {
    if (entity.type === 'channel') {
      yield `${close[open]}${open === 'none' ? '' : ','}{"channel":${goJson(entity.data)},"members":[`;
      open = 'members';
      inArray = 0;
      continue;
    }
    if (entity.type === 'message' && open === 'members') {
      yield '],"messages":[';
      open = 'messages';
      inArray = 0;
    }
    if (entity.type === 'member' || entity.type === 'message') {
      yield `${inArray === 0 ? '' : ','}${goJson(entity.data)}`;
      inArray++;
    }
  }
  yield `${close[open]}]\n`;
}

/**
 * v1 channel export: one JSON array `[{"channel":…,"members":[…],"messages":[…]}, …]`; messages carry
 * latest_reactions and there are no reaction or user entries.
 */
export function v1File(entities: Iterable<ExportEntity>): Iterable<string> {
  return chunked(v1Pieces(entities));
}

/**
 * The file without its final line break and the second half of its last line (the truncateLastLine
 * fault). Only the last line is held back, so memory stays bounded by one line plus one chunk.
 */
export function* withLastLineCut(pieces: Iterable<string>): Generator<string> {
  let pending = '';
  for (const piece of pieces) {
    pending += piece;
    const lastBreak = pending.lastIndexOf('\n', pending.length - 2);
    if (lastBreak >= 0) {
      yield pending.slice(0, lastBreak + 1);
      pending = pending.slice(lastBreak + 1);
    }
  }
  const line = pending.endsWith('\n') ? pending.slice(0, -1) : pending;
  let half = Math.floor(line.length / 2);
  // Never split a surrogate pair: the cut is in the JSON, not in the UTF-8.
  if (half > 0 && /[\uD800-\uDBFF]/.test(line.charAt(half - 1))) half--;
  yield line.slice(0, half);
}

/** Writes the pieces to `path` (gzipped if asked) with backpressure; resolves with the bytes written. */
export async function writeFile(pieces: Iterable<string>, path: string, gzip: boolean, signal?: AbortSignal): Promise<number> {
  const source = Readable.from(pieces, { objectMode: false });
  const out = createWriteStream(path);
  await (gzip ? pipeline(source, createGzip(), out, { signal }) : pipeline(source, out, { signal }));
  return out.bytesWritten;
}
