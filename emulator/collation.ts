// Stream documents no string order. An ICU collation (letters case-blind before case, punctuation before
// digits before letters) disagrees with JavaScript's code-unit `<` on mixed-case ids and on `-`, `_`,
// `.`, so a client that derives ranges or checks a keyset with `<` is caught. Created once: a collator
// is costly to build and compares cheaply.

export type Value = string | number | boolean;

const collator = new Intl.Collator('en');

/** Strings by the collation, numbers by value, booleans as 0 and 1. */
export function compareValues(x: Value, y: Value): number {
  if (typeof x === 'string' && typeof y === 'string') return collator.compare(x, y);
  const a = Number(x);
  const b = Number(y);
  return a < b ? -1 : a > b ? 1 : 0;
}
