import { describe, expect, it } from "vitest";
import { sectionCounts } from "./sections";

describe("sectionCounts", () => {
  it.each([
    [0, { intro: 0, main: 0, outro: 0 }],
    [1, { intro: 0, main: 1, outro: 0 }],
    [2, { intro: 1, main: 1, outro: 0 }],
    [3, { intro: 1, main: 1, outro: 1 }],
    [4, { intro: 1, main: 2, outro: 1 }],
    [5, { intro: 1, main: 3, outro: 1 }],
    [7, { intro: 2, main: 3, outro: 2 }],
    [10, { intro: 3, main: 5, outro: 2 }],
    [48, { intro: 12, main: 24, outro: 12 }],
    [60, { intro: 15, main: 30, outro: 15 }],
  ])("%i segments → %o", (n, expected) => {
    expect(sectionCounts(n)).toEqual(expected);
  });

  it("always sums to N, stays within one of the 1:2:1 quota, and gives intro/outro ≥ 1 from N = 3", () => {
    for (let n = 0; n <= 200; n++) {
      const c = sectionCounts(n);
      expect(c.intro + c.main + c.outro).toBe(n);
      expect(Math.abs(c.intro - n / 4)).toBeLessThan(1);
      expect(Math.abs(c.main - n / 2)).toBeLessThan(1);
      expect(Math.abs(c.outro - n / 4)).toBeLessThan(1);
      if (n >= 3) {
        expect(c.intro).toBeGreaterThanOrEqual(1);
        expect(c.outro).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it("rejects negative and fractional counts", () => {
    expect(() => sectionCounts(-1)).toThrow(RangeError);
    expect(() => sectionCounts(2.5)).toThrow(RangeError);
    expect(() => sectionCounts(Number.NaN)).toThrow(RangeError);
  });
});
