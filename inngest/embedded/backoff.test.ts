/** The retry delay: exponential in the attempt, capped, with bounded jitter (seeded, so repeatable). */
import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "./executor";
import { mulberry32 } from "./test-support";

describe("backoffDelayMs", () => {
  it("doubles the base per attempt, caps it, and jitters within [0.8, 1.2] of that", () => {
    const random = mulberry32(42);
    const factors: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const nominal = Math.min(100 * 2 ** attempt, 5_000);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelayMs(attempt, 100, 5_000, random);
        expect(delay).toBeGreaterThanOrEqual(Math.round(nominal * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.round(nominal * 1.2));
        factors.push(delay / nominal);
      }
    }
    // The jitter is spread over the range, not stuck at one end.
    expect(Math.min(...factors)).toBeLessThan(0.82);
    expect(Math.max(...factors)).toBeGreaterThan(1.18);
  });

  it("gives the range ends for the random extremes and the documented defaults", () => {
    expect(backoffDelayMs(0, 1000, 60_000, () => 0)).toBe(800);
    expect(backoffDelayMs(0, 1000, 60_000, () => 0.5)).toBe(1000);
    expect(backoffDelayMs(3, 1000, 60_000, () => 0.5)).toBe(8000);
    expect(backoffDelayMs(2, 1000, 60_000, () => 0.999_999)).toBe(4800);
    // Capped before the jitter: 1000 × 2^10 is far beyond 60 s.
    expect(backoffDelayMs(10, 1000, 60_000, () => 0)).toBe(48_000);
    expect(backoffDelayMs(10, 1000, 60_000, () => 0.999_999)).toBe(72_000);
    expect(backoffDelayMs(10, undefined, undefined, () => 0.5)).toBe(60_000);
  });

  it("never yields a delay that shrinks from one attempt to the next, below the cap, for any jitter", () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const worstNext = backoffDelayMs(attempt + 1, 100, 60_000, () => 0);
      const bestThis = backoffDelayMs(attempt, 100, 60_000, () => 0.999_999);
      expect(worstNext).toBeGreaterThan(bestThis);
    }
  });
});
