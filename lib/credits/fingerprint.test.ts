import { describe, expect, it } from "vitest";
import { type FingerprintInput, normalizeText, requestFingerprint } from "./fingerprint";

describe("request fingerprints", () => {
  it("normalizes text: NFC, case folding, trimming, collapsed whitespace", () => {
    expect(normalizeText("  Cafe\u0301   au\tLAIT\n ")).toBe("café au lait");
    expect(normalizeText("STRASSE")).toBe(normalizeText("straße"));
    expect(normalizeText("ΟΔΥΣΣΕΥΣ")).toBe(normalizeText("Οδυσσευς"));
    expect(normalizeText("Ёлка\u00a0Новогодняя")).toBe("ёлка новогодняя");
  });

  it("matches trivially different spellings and option key order, nothing else", () => {
    const base = requestFingerprint({
      kind: "greeting",
      inputs: { name: "Анна" },
      options: { template: "new-year-ru", aspect: "9:16" },
    });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(
      requestFingerprint({
        kind: "greeting",
        inputs: { name: "  АННА " },
        options: { aspect: "9:16", template: "new-year-ru" },
      }),
    ).toBe(base);
    const different: FingerprintInput[] = [
      { kind: "video", inputs: { name: "Анна" }, options: { template: "new-year-ru", aspect: "9:16" } },
      {
        kind: "greeting",
        inputs: { name: "Анна Мария" },
        options: { template: "new-year-ru", aspect: "9:16" },
      },
      { kind: "greeting", inputs: { name: "Анна" }, options: { template: "new-year-ru", aspect: "16:9" } },
      { kind: "greeting", inputs: { title: "Анна" }, options: { template: "new-year-ru", aspect: "9:16" } },
    ];
    for (const request of different) expect(requestFingerprint(request)).not.toBe(base);
  });
});
