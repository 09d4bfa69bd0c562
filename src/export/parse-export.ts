import { isUtf8 } from 'node:buffer';
import { SystemError, TransientError } from '../errors.js';
import { classifyLine, classifyWrappedData, splitWrapped, type ExportEntity, type LineContext, type SkippedLine } from './entities.js';
import { LineSplitter } from './line-splitter.js';
import { parseV1Document } from './parse-v1.js';

export interface ParseExportOptions {
  /**
   * The longest v2 line accepted, in bytes (default 64 MiB). It bounds the memory a file without
   * line breaks can take; one entity is far smaller.
   */
  maxLineLength?: number;
}

const DEFAULT_MAX_LINE_LENGTH = 64 * 1024 * 1024;
const EXCERPT_LENGTH = 200;
const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);
/** What a failed JSON.parse of a wrapped line's data leaves, distinct from any JSON value. */
const UNREADABLE = Symbol('unreadable');

/**
 * The entities of a downloaded export file, in file order, read as a stream whatever its size.
 * v2 (and users exports) hold one JSON entity per line; v1 is one JSON document.
 * Lines that hold nothing the connector replicates are passed to `onSkip` with the reason, and so
 * is a line that is not JSON (with its number and its start): such a line is Stream's, and one odd
 * line must not block its channels for good. A last line that is not JSON and has no line break
 * after it is another matter: the file was cut there, and that fails it (a TransientError).
 */
export async function* parseExport(
  bytes: AsyncIterable<Buffer>,
  format: 'v1' | 'v2',
  onSkip: (reason: string) => void = () => {},
  options: ParseExportOptions = {},
): AsyncGenerator<ExportEntity> {
  for await (const batch of parseExportBatches(bytes, format, onSkip, options)) yield* batch;
}

/**
 * parseExport, a batch of entities at a time (those of one downloaded chunk, in file order): the
 * reader pays one promise per chunk, not one per entity.
 */
export function parseExportBatches(
  bytes: AsyncIterable<Buffer>,
  format: 'v1' | 'v2',
  onSkip: (reason: string) => void = () => {},
  options: ParseExportOptions = {},
): AsyncGenerator<ExportEntity[]> {
  return format === 'v1' ? parseV1Document(bytes, onSkip) : parseLines(bytes, onSkip, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
}

async function* parseLines(bytes: AsyncIterable<Buffer>, onSkip: (reason: string) => void, maxLineBytes: number): AsyncGenerator<ExportEntity[]> {
  const splitter = new LineSplitter({ maxLineBytes, tooLong: (lineNumber) => lineTooLong(lineNumber, maxLineBytes) });
  const reader = new LineReader(onSkip);
  for await (const chunk of bytes) {
    const entities = reader.read(splitter.push(chunk));
    if (entities.length > 0) yield entities;
  }
  const last = reader.read(splitter.end(), true);
  if (last.length > 0) yield last;
}

/** Lines to entities, keeping the line count and the channel the lines are in. */
class LineReader {
  private readonly context: LineContext = {};
  private lineNumber = 0;

  constructor(private readonly onSkip: (reason: string) => void) {}

  /** `unterminated`: the line given is the file's last, with no line break after it. */
  read(lines: readonly Buffer[], unterminated = false): ExportEntity[] {
    const entities: ExportEntity[] = [];
    for (const line of lines) {
      this.lineNumber += 1;
      const start = this.lineNumber === 1 && line.subarray(0, BYTE_ORDER_MARK.length).equals(BYTE_ORDER_MARK) ? BYTE_ORDER_MARK.length : 0;
      const classified = this.classify(line, start, unterminated);
      if (classified === undefined) continue;
      if ('skip' in classified) {
        this.onSkip(classified.skip);
        continue;
      }
      if (classified.kind === 'channel') this.context.cid = classified.cid;
      entities.push(classified);
    }
    return entities;
  }

  /** What the line holds; undefined for a blank line. */
  private classify(line: Buffer, start: number, unterminated: boolean): ExportEntity | SkippedLine | undefined {
    const wrapped = splitWrapped(line, start);
    if (wrapped !== undefined) {
      const data = parseOrUnreadable(line.toString('utf8', wrapped.dataStart, line.length - 1));
      if (data !== UNREADABLE) {
        // The bytes are written as they came only when they are what JSON.parse read: valid UTF-8.
        const json = line.subarray(wrapped.dataStart, line.length - 1);
        return classifyWrappedData(wrapped.type, data, isUtf8(json) ? json : undefined, this.context);
      }
    }
    const text = line.toString('utf8', start);
    if (!/\S/.test(text)) return undefined;
    const value = parseOrUnreadable(text);
    if (value !== UNREADABLE) return classifyLine(value, this.context);
    if (unterminated) throw truncated(this.lineNumber, text);
    return { skip: `a line that is not JSON (line ${this.lineNumber}: ${excerpt(text)})` };
  }
}

function parseOrUnreadable(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return UNREADABLE;
  }
}

function excerpt(text: string): string {
  return text.length <= EXCERPT_LENGTH ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, EXCERPT_LENGTH))}… (${text.length} characters)`;
}

/** A retry exports the file anew, and may get it whole. */
function truncated(lineNumber: number, text: string): TransientError {
  return new TransientError(`the export file ends in a cut line (line ${lineNumber}: ${excerpt(text)}): the file is truncated`, {
    context: { line: lineNumber },
  });
}

function lineTooLong(lineNumber: number, maxLineLength: number): SystemError {
  return new SystemError(`line ${lineNumber} of the export is longer than ${maxLineLength} bytes; is this a v1 (single document) export read as v2?`, {
    context: { line: lineNumber, maxLineLength },
  });
}
