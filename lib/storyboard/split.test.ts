import { describe, expect, it } from "vitest";
import { allocateSegments, splitNarration, splitScript } from "./split";
import { countWords, splitSentences, tokens, WORDS_PER_SECOND } from "./text";
import type { Script } from "./types";

const EN =
  "Coffee starts as a cherry on a shrub. The seeds inside are picked, washed and dried in the sun. " +
  "Then the green beans travel to roasters around the world. Roasting turns them brown and fragrant. " +
  "Light roasts keep more acidity and fruit. Dark roasts taste bitter and smoky. " +
  "The beans are ground just before brewing. A fine grind suits espresso machines. " +
  "A coarse grind suits the French press. Water should be hot but not boiling. " +
  "Pour slowly and wait four minutes. Enjoy your cup while it is warm.";

const RU =
  "Кофе начинается с ягоды на кусте. Зёрна собирают, моют и сушат на солнце. " +
  "Потом зелёные зёрна едут к обжарщикам по всему миру. Обжарка делает их коричневыми и ароматными. " +
  "Светлая обжарка сохраняет кислинку и фруктовые ноты. Тёмная обжарка даёт горечь и дымные тона. " +
  "Зёрна мелют прямо перед заваркой. Мелкий помол подходит для эспрессо. " +
  "Крупный помол нужен для френч-пресса. Вода должна быть горячей, но не кипящей. " +
  "Лейте медленно и подождите четыре минуты. Наслаждайтесь чашкой, пока она тёплая.";

/** Deterministic pseudo-random generator for generated texts (LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomText(seed: number, sentences: number): string {
  const rnd = lcg(seed);
  const words = [
    "кофе",
    "зёрна",
    "вода",
    "time",
    "slowly",
    "«турка»",
    "cup",
    "пена",
    "жар",
    "aroma",
    "T.",
    "т.е.",
  ];
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const len = 1 + Math.floor(rnd() * 25);
    const ws = Array.from(
      { length: len },
      (_, j) => words[Math.floor(rnd() * words.length)]! + (j % 7 === 6 ? "," : ""),
    );
    ws[0] = ws[0]!.charAt(0).toUpperCase() + ws[0]!.slice(1);
    out.push(`${ws.join(" ").replace(/,$/, "")}${rnd() < 0.2 ? "!" : rnd() < 0.2 ? "…" : "."}`);
  }
  return out.join(rnd() < 0.5 ? " " : "\n");
}

describe("splitNarration", () => {
  it.each([
    ["en", EN],
    ["ru", RU],
  ] as const)(
    "keeps every word in order, in whole sentences that fit their segments (%s)",
    (language, text) => {
      const result = splitNarration({ text, segmentCount: 5, segmentSeconds: 10, language });
      expect(result.segments).toHaveLength(5);
      expect(result.segments.every((s) => countWords(s) > 0)).toBe(true);
      expect(tokens(result.segments.join(" "))).toEqual(tokens(text));
      // Sentence boundaries: every segment is made of whole sentences of the text.
      expect(result.segments.flatMap((s) => splitSentences(s))).toEqual(splitSentences(text));
      for (const s of result.segments) expect(s).toMatch(/[.!?…]$/u);
      // Timing: ≈ 90 words fit 5 × 10 s at the language's rate, and so does each segment.
      expect(result.overflowSeconds).toBe(0);
      for (const [i, s] of result.segments.entries()) {
        expect(result.estimatedSeconds[i]).toBeCloseTo(countWords(s) / WORDS_PER_SECOND[language], 1);
        expect(result.estimatedSeconds[i]!).toBeLessThanOrEqual(10);
      }
      // Balanced: no segment is more than twice another.
      const counts = result.segments.map(countWords);
      expect(Math.max(...counts)).toBeLessThanOrEqual(2 * Math.min(...counts));
    },
  );

  it("cuts a sentence at a comma rather than overrun a tight segment (ru, 10 × 4 s)", () => {
    const result = splitNarration({ text: RU, segmentCount: 10, segmentSeconds: 4, language: "ru" });
    const capacity = 4 * WORDS_PER_SECOND.ru;
    expect(countWords(RU)).toBeLessThanOrEqual(10 * capacity);
    expect(result.overflowSeconds).toBe(0);
    expect(tokens(result.segments.join(" "))).toEqual(tokens(RU));
    // Whole sentences alone cannot fit 8.4 words per segment; with clause cuts each segment overruns by < 1 s.
    for (const seconds of result.estimatedSeconds) expect(seconds).toBeLessThan(5);
    for (const s of result.segments) expect(s).toMatch(/[.!?…,]$/u);
  });

  it("splits long sentences at commas when there are fewer sentences than segments", () => {
    const text =
      "Зёрна обжаривают, остужают, мелют, засыпают в турку, заливают водой, нагревают до пены и разливают по чашкам.";
    const result = splitNarration({ text, segmentCount: 4, segmentSeconds: 5, language: "ru" });
    expect(result.segments).toHaveLength(4);
    expect(tokens(result.segments.join(" "))).toEqual(tokens(text));
    expect(result.segments.every((s) => countWords(s) > 0)).toBe(true);
    for (const s of result.segments.slice(0, -1)) expect(s).toMatch(/,$/u); // cut at clause boundaries
  });

  it("splits at word boundaries when there is no punctuation, down to one word per segment", () => {
    const result = splitNarration({
      text: "one two three four five",
      segmentCount: 5,
      segmentSeconds: 1,
      language: "en",
    });
    expect(result.segments).toEqual(["one", "two", "three", "four", "five"]);
  });

  it("cuts a sentence longer than one segment even when there are enough segments", () => {
    const long =
      "This single sentence is far too long to be spoken in one short segment of only three seconds at all.";
    const text = `Short one. ${long} Short two.`;
    const result = splitNarration({ text, segmentCount: 4, segmentSeconds: 3, language: "en" });
    expect(tokens(result.segments.join(" "))).toEqual(tokens(text));
    expect(result.segments.some((s) => s.includes(long))).toBe(false);
    expect(result.overflowSeconds).toBe(0); // 24 words ≈ 9.6 s of 12 s
    for (const seconds of result.estimatedSeconds) expect(seconds).toBeLessThanOrEqual(3);
  });

  it("keeps all text and reports overflow when the text is too long", () => {
    const text = `${EN} ${EN}`; // 190 words ≈ 76 s at 2.5 wps
    const result = splitNarration({ text, segmentCount: 4, segmentSeconds: 5, language: "en" });
    expect(result.segments).toHaveLength(4);
    expect(tokens(result.segments.join(" "))).toEqual(tokens(text));
    expect(result.overflowSeconds).toBeCloseTo(countWords(text) / 2.5 - 20, 1);
    expect(result.overflowSeconds).toBeGreaterThan(50);
  });

  it("stays fast on a huge pasted text and still keeps every word", () => {
    const text = `${RU} `.repeat(500); // ≈ 45 000 words
    const started = performance.now();
    const result = splitNarration({ text, segmentCount: 24, segmentSeconds: 5, language: "ru" });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.segments).toHaveLength(24);
    expect(tokens(result.segments.join(" "))).toEqual(tokens(text));
    const counts = result.segments.map(countWords);
    expect(Math.max(...counts)).toBeLessThan(1.2 * Math.min(...counts));
  });

  it("holds its guarantees on generated texts", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const text = randomText(seed, 1 + (seed % 17));
      const n = 1 + (seed % 12);
      if (countWords(text) < n) {
        expect(() => splitNarration({ text, segmentCount: n, segmentSeconds: 5, language: "ru" })).toThrow(
          RangeError,
        );
        continue;
      }
      const result = splitNarration({
        text,
        segmentCount: n,
        segmentSeconds: 5,
        language: seed % 2 ? "ru" : "en",
      });
      expect(result.segments).toHaveLength(n);
      expect(result.segments.every((s) => countWords(s) > 0)).toBe(true);
      expect(tokens(result.segments.join(" "))).toEqual(tokens(text));
    }
  });

  it("is deterministic", () => {
    const a = splitNarration({ text: RU, segmentCount: 7, segmentSeconds: 4, language: "ru" });
    expect(splitNarration({ text: RU, segmentCount: 7, segmentSeconds: 4, language: "ru" })).toEqual(a);
  });

  it("rejects impossible requests", () => {
    expect(() =>
      splitNarration({ text: "two words", segmentCount: 3, segmentSeconds: 5, language: "en" }),
    ).toThrow(/2 word\(s\), fewer than the 3 segment/);
    expect(() => splitNarration({ text: EN, segmentCount: 0, segmentSeconds: 5, language: "en" })).toThrow(
      RangeError,
    );
    expect(() => splitNarration({ text: EN, segmentCount: 2, segmentSeconds: 0, language: "en" })).toThrow(
      RangeError,
    );
  });
});

describe("splitScript", () => {
  const script: Script = {
    title: "Coffee",
    sections: {
      intro: "Today we talk about coffee. It is the most popular drink on the planet. Let's begin.",
      main: EN,
      outro: "That is how coffee is brewed. Thanks for watching and see you soon!",
    },
  };

  it("splits each section into its 1:2:1 share with a continuous timeline", () => {
    const { segments, counts, overflowSeconds } = splitScript({
      script,
      segmentCount: 10,
      segmentSeconds: 5,
      language: "en",
    });
    expect(counts).toEqual({ intro: 3, main: 5, outro: 2 });
    expect(segments.map((s) => s.section)).toEqual([
      ...Array(3).fill("intro"),
      ...Array(5).fill("main"),
      ...Array(2).fill("outro"),
    ]);
    expect(segments.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(segments.map((s) => s.startSeconds)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45]);
    expect(segments.every((s) => s.seconds === 5)).toBe(true);
    // Section text never leaks into another section.
    expect(
      tokens(
        segments
          .filter((s) => s.section === "intro")
          .map((s) => s.narration)
          .join(" "),
      ),
    ).toEqual(tokens(script.sections.intro));
    expect(
      tokens(
        segments
          .filter((s) => s.section === "outro")
          .map((s) => s.narration)
          .join(" "),
      ),
    ).toEqual(tokens(script.sections.outro));
    expect(overflowSeconds).toBeGreaterThan(0); // main: 95 words ≈ 38 s in 25 s
  });

  it("merges a section without segments into its neighbour instead of dropping it", () => {
    const one = splitScript({ script, segmentCount: 1, segmentSeconds: 60, language: "en" });
    expect(one.segments).toHaveLength(1);
    expect(tokens(one.segments[0]!.narration)).toEqual(
      tokens(`${script.sections.intro} ${script.sections.main} ${script.sections.outro}`),
    );
    const two = splitScript({ script, segmentCount: 2, segmentSeconds: 30, language: "en" });
    expect(two.segments.map((s) => s.section)).toEqual(["intro", "main"]);
    expect(two.segments[1]!.narration.endsWith("see you soon!")).toBe(true);
  });

  it("moves segments away from sections that are too short or empty", () => {
    const short: Script = { title: "x", sections: { intro: "Hi.", main: EN, outro: "" } };
    expect(allocateSegments(short, 10)).toEqual({ intro: 1, main: 9, outro: 0 });
    const { segments } = splitScript({ script: short, segmentCount: 10, segmentSeconds: 5, language: "en" });
    expect(segments).toHaveLength(10);
    expect(segments[0]!.narration).toBe("Hi.");
    expect(() => allocateSegments({ title: "", sections: { intro: "", main: "a b", outro: "" } }, 3)).toThrow(
      RangeError,
    );
  });
});
