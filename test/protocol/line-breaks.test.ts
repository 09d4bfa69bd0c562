import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeLineBreaks } from '../../src/protocol/line-breaks.js';

describe('escapeLineBreaks', () => {
  it('writes U+0085, U+2028 and U+2029 as \\u escapes and leaves the rest alone', () => {
    const text = JSON.stringify({ text: 'a\u2028b\u2029c\u0085d – “e” … Å 😅 \u2027\u202a' });
    const escaped = escapeLineBreaks(Buffer.from(text)).toString('utf8');
    expect(escaped).toBe(text.replace('\u2028', '\\u2028').replace('\u2029', '\\u2029').replace('\u0085', '\\u0085'));
  });

  it('gives back the same bytes when there is nothing to escape', () => {
    const bytes = Buffer.from('{"text":"– “e” … Å 😅"}');
    expect(escapeLineBreaks(bytes)).toBe(bytes);
  });

  it('keeps any JSON text equal to itself once read, with no line-break character left', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '\u0085', '\u2028', '\u2029', '\u2026', 'é', '😅', '"', '\\'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), (values) => {
        const escaped = escapeLineBreaks(Buffer.from(JSON.stringify(values))).toString('utf8');
        expect(escaped).not.toMatch(/[\u0085\u2028\u2029]/);
        expect(JSON.parse(escaped)).toEqual(values);
      }),
    );
  });
});
