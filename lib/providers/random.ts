/**
 * Deterministic hashing and pseudo-random numbers for the local providers (no `Math.random`):
 * the same inputs always give the same script, prompts and pictures.
 */

/**
 * 32-bit FNV-1a hash of the UTF-8 bytes of the given parts (joined with U+241F as a separator so
 * `["ab", "c"]` and `["a", "bc"]` differ).
 *
 * @returns an unsigned 32-bit integer.
 */
export function hash32(...parts: ReadonlyArray<string | number>): number {
  const bytes = new TextEncoder().encode(parts.map(String).join("\u241f"));
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded pseudo-random generator (mulberry32). */
export interface Rng {
  /** Next float in [0, 1). */
  next(): number;
  /** Next float in [min, max). */
  range(min: number, max: number): number;
  /** Next integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** A uniformly chosen element. @throws RangeError on an empty array. */
  pick<T>(items: readonly T[]): T;
}

/** Creates a mulberry32 generator from a 32-bit seed (any number; it is truncated to uint32). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    range: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError("cannot pick from an empty array");
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/**
 * A seed for providers that take an unsigned 32-bit integer (Runway, Veo: 0–4294967295): an
 * integer in range as it is, anything else (strings, other numbers) hashed with `hash32`.
 */
export function uint32Seed(seed: number | string): number {
  if (typeof seed === "number" && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return seed;
  return hash32(String(seed));
}
