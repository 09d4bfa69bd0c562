export interface LineSplitterOptions {
  /** The longest line accepted, in bytes. */
  maxLineBytes: number;
  /** The error thrown for a line longer than that, given its 1-based line number. */
  tooLong: (lineNumber: number) => Error;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Bytes to lines (`\n` or `\r\n`), each line the bytes between two line breaks, undecoded: a UTF-8
 * character cut across chunks is whole again in its line. Linear in the input however long a line
 * is: only a chunk's own bytes are scanned for line breaks, and the pieces of a line that spans
 * chunks are joined once, when it ends. Lines within a chunk are views of it, not copies.
 */
export class LineSplitter {
  /** The start of an unfinished line, in pieces. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = 0;

  constructor(private readonly options: LineSplitterOptions) {}

  /** The lines this chunk completes. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      const tail = chunk.subarray(start, at);
      lines.push(this.pendingBytes > 0 ? this.take(tail, true) : this.checked(tail, true));
      start = at + 1;
    }
    if (start < chunk.length) {
      const rest = start === 0 ? chunk : chunk.subarray(start);
      this.pendingBytes += rest.length;
      // One byte of slack: a `\r` that the next chunk's `\n` makes part of the line break.
      if (this.pendingBytes > this.options.maxLineBytes + 1) throw this.options.tooLong(this.ended + 1);
      this.pending.push(rest);
    }
    return lines;
  }

  /** The last line, when the input does not end with a line break. */
  end(): Buffer[] {
    return this.pendingBytes > 0 ? [this.take(Buffer.alloc(0), false)] : [];
  }

  private take(tail: Buffer, atBreak: boolean): Buffer {
    this.pending.push(tail);
    const line = Buffer.concat(this.pending, this.pendingBytes + tail.length);
    this.pending = [];
    this.pendingBytes = 0;
    return this.checked(line, atBreak);
  }

  /** The line, less the `\r` of its CRLF when it ended at a line break, counted and checked against the cap. */
  private checked(line: Buffer, atBreak: boolean): Buffer {
    this.ended += 1;
    const bytes = atBreak && line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, -1) : line;
    if (bytes.length > this.options.maxLineBytes) throw this.options.tooLong(this.ended);
    return bytes;
  }
}
