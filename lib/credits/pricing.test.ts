import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, estimateExtension, estimateJob, stageCreditKeys } from "./pricing";

describe("job cost estimate", () => {
  it("prices each paid stage of the default formats", () => {
    expect(estimateJob({ segmentCount: 10, segmentSeconds: 5 })).toEqual({
      stages: { script: 2, images: 10, clips: 20, narration: 10 },
      total: 42,
    });
    expect(estimateJob({ segmentCount: 48, segmentSeconds: 5 })).toEqual({
      stages: { script: 2, images: 48, clips: 96, narration: 48 },
      total: 194,
    });
  });

  it("rounds narration up to whole credits and takes another price table", () => {
    const prices = { ...DEFAULT_PRICES, narrationPerSecond: 0.3, script: 0 };
    expect(estimateJob({ segmentCount: 1, segmentSeconds: 4 }, prices)).toEqual({
      stages: { script: 0, images: 1, clips: 2, narration: 2 },
      total: 5,
    });
  });

  it("prices an extension segment without a script", () => {
    expect(estimateExtension(5)).toBe(1 + 2 + 1);
  });

  it("gives each stage distinct, stable ledger keys", () => {
    expect(stageCreditKeys("abc", "images")).toEqual({
      reservation: "job:abc:images",
      capture: "job:abc:images:done",
      release: "job:abc:images:settled",
    });
  });
});
