import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/export/line-splitter.js';

class TooLong extends Error {
  constructor(readonly lineNumber: number) {
    super(`line ${lineNumber} too long`);
  }
}

function splitter(maxLineBytes = 1024): LineSplitter {
  return new LineSplitter({ maxLineBytes, tooLong: (lineNumber) => new TooLong(lineNumber) });
}

/** The lines of the chunks, decoded. */
function linesOf(chunks: Buffer[], maxLineBytes?: number): string[] {
  const lines = splitter(maxLineBytes);
  return [...chunks.flatMap((chunk) => lines.push(chunk)), ...lines.end()].map((line) => line.toString('utf8'));
}

/** The bytes of `text` cut at the given byte offsets (which may fall inside a UTF-8 character). */
function cut(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((at) => at % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...points, bytes.length].map((point, i, all) => bytes.subarray(i === 0 ? 0 : (all[i - 1] as number), point));
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('LineSplitter', () => {
  it('splits on LF and CRLF, keeps empty lines and a last line without a line break', () => {
    expect(linesOf([Buffer.from('a\r\nb\n\nc\r\n\r\nd')])).toEqual(['a', 'b', '', 'c', '', 'd']);
    expect(linesOf([Buffer.from('a\n')])).toEqual(['a']);
    expect(linesOf([])).toEqual([]);
  });

  it('keeps a carriage return that is not followed by a line feed', () => {
    expect(linesOf([Buffer.from('a\rb\r')])).toEqual(['a\rb\r']);
    expect(linesOf([Buffer.from('a\r'), Buffer.from('b')])).toEqual(['a\rb']);
  });

  it('takes a CRLF cut between two chunks as one line break', () => {
    expect(linesOf([Buffer.from('a\r'), Buffer.from('\nb')])).toEqual(['a', 'b']);
  });

  it('gives lines within one chunk as views of it, not copies', () => {
    const chunk = Buffer.from('first\nsecond\n');
    const [first, second] = splitter().push(chunk);
    expect(first?.buffer).toBe(chunk.buffer);
    expect(second?.buffer).toBe(chunk.buffer);
  });

  it('joins a line cut into many chunks, multi-byte characters included', () => {
    const text = `${'grüße 👋🏽 日本語 '.repeat(50)}\nend`;
    expect(
      linesOf(
        cut(
          text,
          Array.from({ length: 40 }, (_, i) => i * 17 + 1),
        ),
        4096,
      ),
    ).toEqual(text.split('\n'));
  });

  it('refuses a line longer than the cap, whole or in pieces, naming its number', () => {
    const long = `ok\n${'x'.repeat(11)}\n`;
    expect((thrown(() => linesOf([Buffer.from(long)], 10)) as TooLong).lineNumber).toBe(2);
    expect((thrown(() => linesOf(cut(long, [4, 6, 8, 10]), 10)) as TooLong).lineNumber).toBe(2);
    expect((thrown(() => linesOf([Buffer.from('x'.repeat(6)), Buffer.from('x'.repeat(6))], 10)) as TooLong).lineNumber).toBe(1);
  });

  it('accepts a line of exactly the cap, its CRLF cut from it', () => {
    expect(linesOf([Buffer.from(`${'x'.repeat(10)}\r`), Buffer.from('\nnext')], 10)).toEqual(['x'.repeat(10), 'next']);
  });

  it('gives the lines of String.split however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 10 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 15 }),
        (lines, lineBreak, cuts) => {
          const text = lines.map((line) => line.replaceAll('\r', '').replaceAll('\n', '')).join(lineBreak);
          const expected = text.split(lineBreak);
          // A line break ends a line: none follows the last one.
          if (expected.at(-1) === '') expected.pop();
          expect(linesOf(cut(text, cuts))).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
