// JSON allows U+0085, U+2028 and U+2029 unescaped inside strings, but line readers such as Python's
// splitlines() break lines on them. In UTF-8 their bytes cannot be part of another character (0xC2
// and 0xE2 only ever start one), so they are found and escaped in the bytes, a chunk at a time.
const NEXT_LINE = Buffer.from('\u0085');
/** The first two bytes of U+2000–U+203F, which hold U+2028 and U+2029. */
const GENERAL_PUNCTUATION = Buffer.from([0xe2, 0x80]);
const LINE_SEPARATOR = Buffer.from('\u2028');
const PARAGRAPH_SEPARATOR = Buffer.from('\u2029');

interface LineBreak {
  at: number;
  length: number;
  escape: Buffer;
}

const NEXT_LINE_ESCAPE = Buffer.from('\\u0085');
const LINE_SEPARATOR_ESCAPE = Buffer.from('\\u2028');
const PARAGRAPH_SEPARATOR_ESCAPE = Buffer.from('\\u2029');

/** The UTF-8 bytes of JSON text with U+0085, U+2028 and U+2029 written as `\uXXXX`; the same bytes when they hold none. */
export function escapeLineBreaks(bytes: Buffer): Buffer {
  const found = lineBreaksIn(bytes);
  if (found.length === 0) return bytes;
  const pieces: Buffer[] = [];
  let from = 0;
  for (const { at, length, escape } of found) {
    pieces.push(bytes.subarray(from, at), escape);
    from = at + length;
  }
  pieces.push(bytes.subarray(from));
  return Buffer.concat(pieces);
}

/** The line breaks in the bytes, in order. */
function lineBreaksIn(bytes: Buffer): LineBreak[] {
  const found: LineBreak[] = [];
  for (let at = bytes.indexOf(NEXT_LINE); at !== -1; at = bytes.indexOf(NEXT_LINE, at + NEXT_LINE.length)) {
    found.push({ at, length: NEXT_LINE.length, escape: NEXT_LINE_ESCAPE });
  }
  const nextLines = found.length;
  // General punctuation (dashes, quotes, ellipsis) is common in text: most hits are neither separator.
  for (let at = bytes.indexOf(GENERAL_PUNCTUATION); at !== -1; at = bytes.indexOf(GENERAL_PUNCTUATION, at + GENERAL_PUNCTUATION.length)) {
    const end = at + LINE_SEPARATOR.length;
    if (bytes[end - 1] === LINE_SEPARATOR[2]) found.push({ at, length: LINE_SEPARATOR.length, escape: LINE_SEPARATOR_ESCAPE });
    else if (bytes[end - 1] === PARAGRAPH_SEPARATOR[2]) found.push({ at, length: PARAGRAPH_SEPARATOR.length, escape: PARAGRAPH_SEPARATOR_ESCAPE });
  }
  return nextLines === 0 || nextLines === found.length ? found : found.sort((a, b) => a.at - b.at);
}
