import { describe, expect, it } from "vitest";
import { motionFromPrompt } from "@/lib/media/kenburns";
import { splitScript } from "@/lib/storyboard/split";
import { countWords, tokens, WORDS_PER_SECOND } from "@/lib/storyboard/text";
import { type Language, PlannedSegmentSchema, ScriptSchema } from "@/lib/storyboard/types";
import {
  createLocalLlm,
  LOCAL_SCRIPT_FILL,
  MOTION_PROMPTS,
  planLocalSegments,
  writeLocalScript,
} from "./local";
import { scriptFromText } from "./types";

const TOPICS: Record<Language, string> = { ru: "Как варят кофе", en: "How coffee is brewed" };

describe("local LLM: writeScript", () => {
  it.each(["ru", "en"] as const)(
    "writes a %s script about the topic that fits the format",
    async (language) => {
      const llm = createLocalLlm();
      expect(llm.name).toBe("local");
      const script = await llm.writeScript({
        topic: TOPICS[language],
        language,
        segmentCount: 10,
        segmentSeconds: 5,
      });
      expect(ScriptSchema.parse(script)).toEqual(script);
      expect(script.title).toBe(TOPICS[language]);
      expect(script.sections.intro).toContain(TOPICS[language]);
      expect(script.sections.outro).toContain(TOPICS[language]);
      expect(script.sections.main).toMatch(language === "ru" ? /Шаг 1: .*Шаг 2: /su : /Step 1: .*Step 2: /su);
      const body = Object.values(script.sections).join(" ").replaceAll(TOPICS[language], "");
      if (language === "ru") expect(body).toMatch(/^[^a-z]*$/iu);
      else expect(body).not.toMatch(/[а-яё]/iu);
      // Spoken length: 3/5/2 segments × 5 s at the language's rate, 85 % filled.
      const budgets = { intro: 3, main: 5, outro: 2 };
      for (const [section, count] of Object.entries(budgets) as Array<[keyof typeof budgets, number]>) {
        const words = countWords(script.sections[section]);
        expect(words).toBeLessThanOrEqual(count * 5 * WORDS_PER_SECOND[language] * LOCAL_SCRIPT_FILL);
        expect(words).toBeGreaterThanOrEqual(count * 5 * WORDS_PER_SECOND[language] * 0.5);
      }
    },
  );

  it("is deterministic and depends on its input", () => {
    const input = { topic: "Как варят кофе", language: "ru" as const, segmentCount: 48, segmentSeconds: 5 };
    const a = writeLocalScript(input);
    expect(writeLocalScript({ ...input })).toEqual(a);
    expect(writeLocalScript({ ...input, topic: "Как пекут хлеб" })).not.toEqual(a);
    // 48 × 5 s = 4 min: ≈ 430 Russian words, all of it narratable.
    const total = countWords(Object.values(a.sections).join(" "));
    expect(total).toBeGreaterThan(300);
    expect(total).toBeLessThanOrEqual(240 * WORDS_PER_SECOND.ru);
    expect(
      splitScript({ script: a, segmentCount: 48, segmentSeconds: 5, language: "ru" }).overflowSeconds,
    ).toBe(0);
  });

  it("keeps enough words for every segment even with very short segments", () => {
    const script = writeLocalScript({ topic: "Tea", language: "en", segmentCount: 12, segmentSeconds: 0.5 });
    expect(() =>
      splitScript({ script, segmentCount: 12, segmentSeconds: 0.5, language: "en" }),
    ).not.toThrow();
  });

  it("rejects a blank topic and invalid formats", () => {
    expect(() =>
      writeLocalScript({ topic: "  «» ", language: "ru", segmentCount: 10, segmentSeconds: 5 }),
    ).toThrow(RangeError);
    expect(() =>
      writeLocalScript({ topic: "Tea", language: "en", segmentCount: 0, segmentSeconds: 5 }),
    ).toThrow(RangeError);
    expect(() =>
      writeLocalScript({ topic: "Tea", language: "en", segmentCount: 3, segmentSeconds: -1 }),
    ).toThrow(RangeError);
  });
});

describe("local LLM: planSegments", () => {
  it.each(["ru", "en"] as const)(
    "plans 10 %s segments 1:2:1 with prompts, deterministically",
    async (language) => {
      const llm = createLocalLlm();
      const script = await llm.writeScript({
        topic: TOPICS[language],
        language,
        segmentCount: 10,
        segmentSeconds: 5,
      });
      const input = {
        script,
        language,
        segmentCount: 10,
        segmentSeconds: 5,
        styleGuide: "watercolor, warm light",
      };
      const planned = await llm.planSegments(input);
      expect(await llm.planSegments(structuredClone(input))).toEqual(planned);
      expect(planned).toHaveLength(10);
      for (const p of planned) expect(PlannedSegmentSchema.parse(p)).toEqual(p);
      expect(planned.map((p) => p.section)).toEqual([
        ...Array(3).fill("intro"),
        ...Array(5).fill("main"),
        ...Array(2).fill("outro"),
      ]);
      expect(planned.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(planned.map((p) => p.startSeconds)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45]);
      expect(tokens(planned.map((p) => p.narration).join(" "))).toEqual(
        tokens(Object.values(script.sections).join(" ")),
      );
      for (const p of planned) {
        expect(countWords(p.narration)).toBeGreaterThan(0);
        expect(countWords(p.narration) / WORDS_PER_SECOND[language]).toBeLessThanOrEqual(5);
        expect(p.caption.length).toBeGreaterThan(0);
        expect(p.caption.length).toBeLessThanOrEqual(60);
        expect(p.imagePrompt.startsWith("watercolor, warm light; ")).toBe(true);
        expect(p.imagePrompt).toContain(script.title);
        expect(MOTION_PROMPTS).toContain(p.motionPrompt);
      }
      // Image prompts are specific to the segment; motions never repeat back to back.
      expect(new Set(planned.map((p) => p.imagePrompt)).size).toBe(10);
      for (let i = 1; i < planned.length; i++)
        expect(planned[i]!.motionPrompt).not.toBe(planned[i - 1]!.motionPrompt);
      expect(planned[0]!.motionPrompt).toBe("slow zoom in");
      expect(planned[9]!.motionPrompt).toBe("slow zoom out");
    },
  );

  it("uses a default style guide", () => {
    const script = writeLocalScript({ topic: "Tea", language: "en", segmentCount: 4, segmentSeconds: 5 });
    const planned = planLocalSegments({ script, language: "en", segmentCount: 4, segmentSeconds: 5 });
    expect(planned[0]!.imagePrompt).toMatch(
      /^flat vector illustration.*wide establishing shot; subject: Tea; details: /u,
    );
  });

  it("plans pasted multi-paragraph scripts in Russian and English", () => {
    const ru = scriptFromText(
      [
        "Сегодня расскажем, как варят кофе по-турецки. Это древний и очень простой способ.",
        "Сначала кофе мелют в пыль, почти как муку. Затем в турку насыпают две ложки кофе и немного сахара.",
        "Турку ставят на медленный огонь. Когда поднимается пена, турку снимают с огня, а потом повторяют ещё дважды.",
        "Готовый кофе разливают по чашкам вместе с пеной. Приятного аппетита и до встречи!",
      ].join("\n\n"),
      "ru",
    );
    const en = scriptFromText(
      [
        "Today we brew coffee with a French press. It takes five minutes.",
        "Grind the beans coarsely. Add hot water, about ninety five degrees.",
        "Stir, wait four minutes, and press the plunger slowly.",
        "Pour and enjoy. Thanks for watching!",
      ].join("\n"),
      "en",
    );
    for (const [language, script, n] of [
      ["ru", ru, 10],
      ["en", en, 8],
    ] as const) {
      const planned = planLocalSegments({ script, language, segmentCount: n, segmentSeconds: 5 });
      expect(planned).toHaveLength(n);
      expect(tokens(planned.map((p) => p.narration).join(" "))).toEqual(
        tokens(Object.values(script.sections).join(" ")),
      );
      const introText = planned
        .filter((p) => p.section === "intro")
        .map((p) => p.narration)
        .join(" ");
      expect(tokens(introText)).toEqual(tokens(script.sections.intro));
      expect(planned.at(-1)!.section).toBe("outro");
    }
  });

  it("uses motion prompts that the Ken Burns renderer understands as moves", () => {
    for (const prompt of MOTION_PROMPTS) {
      const motion = motionFromPrompt(prompt, "seed");
      const moves = motion.zoomFrom !== motion.zoomTo || motion.panX !== 0 || motion.panY !== 0;
      expect(moves, prompt).toBe(true);
    }
    expect(motionFromPrompt("slow zoom in", "a").zoomTo).toBeGreaterThan(
      motionFromPrompt("slow zoom in", "a").zoomFrom,
    );
    expect(motionFromPrompt("pan left", "a").panX).toBeLessThan(0);
  });
});
