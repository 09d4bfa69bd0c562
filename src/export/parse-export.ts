import { Readable, type Transform, pipeline } from 'node:stream';
import split2 from 'split2';
import { SystemError } from '../errors.js';
import { classifyLine, type ExportEntity, type LineContext } from './entities.js';
import { parseV1Document } from './parse-v1.js';

export interface ParseExportOptions {
  /**
   * The longest v2 line accepted, in characters (default 64 MiB). It bounds the memory a file
   * without line breaks can take; one entity is far smaller.
   */
  maxLineLength?: number;
}

const DEFAULT_MAX_LINE_LENGTH = 64 * 1024 * 1024;
const EXCERPT_LENGTH = 200;

/**
 * The entities of a downloaded export file, in file order, read as a stream whatever its size.
 * v2 (and users exports) hold one JSON entity per line; v1 is one JSON document.
 * Lines that hold nothing the connector replicates are passed to `onSkip` with the reason;
 * a line that is not JSON fails with a SystemError naming its line number.
 */
export function parseExport(
  bytes: AsyncIterable<Buffer>,
  format: 'v1' | 'v2',
  onSkip: (reason: string) => void = () => {},
  options: ParseExportOptions = {},
): AsyncGenerator<ExportEntity> {
  return format === 'v1'
    ? parseV1Document(bytes, onSkip)
    : parseLines(bytes, onSkip, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
}

async function* parseLines(
  bytes: AsyncIterable<Buffer>,
  onSkip: (reason: string) => void,
  maxLineLength: number,
): AsyncGenerator<ExportEntity> {
  // Lines split but not yet read are dropped when split2 fails, so it counts them itself.
  let linesSplit = 0;
  const splitter = split2(
    (line: string) => {
      linesSplit += 1;
      return line;
    },
    { maxLength: maxLineLength },
  );
  // Errors reach `lines` through pipeline; the callback only has to exist.
  const lines: Transform = pipeline(Readable.from(bytes, { objectMode: false }), splitter, () => {});
  const context: LineContext = {};
  let lineNumber = 0;
  try {
    for await (const line of lines as AsyncIterable<string>) {
      lineNumber += 1;
      if (line.length > maxLineLength) throw lineTooLong(lineNumber, maxLineLength);
      const text = lineNumber === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
      if (!/\S/.test(text)) continue;
      const classified = classifyLine(parseLine(text, lineNumber), context);
      if ('skip' in classified) {
        onSkip(classified.skip);
        continue;
      }
      if (classified.kind === 'channel') context.cid = classified.cid;
      yield classified;
    }
  } catch (error) {
    // split2 reports an over-long unfinished line with this message only.
    if (error instanceof Error && error.message === 'maximum buffer reached') throw lineTooLong(linesSplit + 1, maxLineLength, error);
    throw error;
  }
}

function parseLine(text: string, lineNumber: number): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SystemError(`line ${lineNumber} of the export is not valid JSON: ${excerpt(text)}`, {
      cause,
      context: { line: lineNumber },
    });
  }
}

function excerpt(text: string): string {
  return text.length <= EXCERPT_LENGTH
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, EXCERPT_LENGTH))}… (${text.length} characters)`;
}

function lineTooLong(lineNumber: number, maxLineLength: number, cause?: unknown): SystemError {
  return new SystemError(
    `line ${lineNumber} of the export is longer than ${maxLineLength} characters; is this a v1 (single document) export read as v2?`,
    { cause, context: { line: lineNumber, maxLineLength } },
  );
}
