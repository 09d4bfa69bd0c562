// Stateless randomness: every value is a hash of (seed, coordinates), so message i of channel c can be
// computed on its own, in any order, without generating the messages before it.

function mix(h: number, value: number): number {
  let k = Math.imul(value | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform 32-bit unsigned integer determined by the seed and the coordinates. */
export function hash(seed: number, ...coordinates: number[]): number {
  let h = mix(0x9747b28c, seed);
  for (const value of coordinates) {
    h = mix(h, value);
    h = mix(h, Math.floor(value / 0x1_0000_0000));
  }
  return finish(h ^ coordinates.length);
}

/** A uniform number in [0, 1). */
export function unit(seed: number, ...coordinates: number[]): number {
  return hash(seed, ...coordinates) / 0x1_0000_0000;
}

/** A uniform integer in [0, n). */
export function below(n: number, seed: number, ...coordinates: number[]): number {
  return Math.floor(unit(seed, ...coordinates) * n);
}

export function pick<T>(items: readonly T[], seed: number, ...coordinates: number[]): T {
  return items[below(items.length, seed, ...coordinates)] as T;
}

/** A 53-bit key determined by the seed and a text: a stable order among equals that is no order of the text. */
export function textKey(seed: number, text: string): number {
  const codes = Array.from(text, (ch) => ch.codePointAt(0) as number);
  return hash(seed, 1, ...codes) * 0x20_0000 + (hash(seed, 2, ...codes) >>> 11);
}
