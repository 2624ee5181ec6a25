import { describe, expect, it } from "vitest";
import { captionFor } from "./captions";

describe("captionFor", () => {
  it("takes the first clause without trailing punctuation", () => {
    expect(captionFor("Сначала зёрна обжаривают до тёмного цвета, затем мелют.")).toBe(
      "Сначала зёрна обжаривают до тёмного цвета",
    );
    expect(captionFor("Water should be hot. Never boiling.")).toBe("Water should be hot");
    expect(captionFor("Is it ready? Let's check.")).toBe("Is it ready?");
  });

  it("extends a very short first clause", () => {
    expect(captionFor("Итак, мы разобрали тему до конца, спасибо.")).toBe("Итак, мы разобрали тему до конца");
  });

  it("cuts long clauses at a word boundary with an ellipsis, within the limit", () => {
    const text =
      "This extraordinarily long opening clause keeps going without any punctuation for far more than sixty characters";
    const caption = captionFor(text);
    expect(caption.length).toBeLessThanOrEqual(60);
    expect(caption.endsWith("…")).toBe(true);
    expect(text.startsWith(caption.slice(0, -1))).toBe(true);
    expect(text[caption.length - 1]).toBe(" "); // the cut is at a word boundary
    expect(captionFor("Суперкалифрагилистикэкспиалидоциус", 10)).toBe("Суперкали…");
  });

  it("drops unbalanced quotes and leading dashes, returns '' for blank text", () => {
    expect(captionFor("— «Привет, — сказал он, — как дела?»")).toBe("Привет, — сказал он");
    expect(captionFor("(Note: this is short.)")).toBe("Note: this is short");
    expect(captionFor("   ")).toBe("");
    expect(() => captionFor("x", 1)).toThrow(RangeError);
  });
});
