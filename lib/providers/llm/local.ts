/**
 * Local, offline "LLM": a deterministic template writer and segment planner. No network, no
 * `Math.random` — the same input always gives a deep-equal output (the pseudo-random choices are
 * seeded with a hash of the input).
 */
import { captionFor } from "@/lib/storyboard/captions";
import { sectionCounts } from "@/lib/storyboard/sections";
import { splitScript } from "@/lib/storyboard/split";
import { countWords, keyWords, normalizeSpaces, WORDS_PER_SECOND } from "@/lib/storyboard/text";
import type { Language, PlannedSegment, Script, Section } from "@/lib/storyboard/types";
import { createRng, hash32, type Rng } from "../random";
import type { LlmProvider, PlanSegmentsInput, WriteScriptInput } from "./types";

/**
 * Share of each segment's speaking time the local writer fills (0.85): leaves ~15 % headroom for
 * pauses between sentences and for the voice being slower than `WORDS_PER_SECOND`.
 */
export const LOCAL_SCRIPT_FILL = 0.85;

/**
 * Camera motions the local planner uses. Each names a move that `motionFromPrompt` in
 * lib/media/kenburns recognizes (checked by a test), so `renderKenBurnsClip` follows it exactly.
 */
export const MOTION_PROMPTS = [
  "slow zoom in",
  "slow zoom out",
  "pan left",
  "pan right",
  "pan up",
  "pan down",
] as const;

/** Style used for image prompts when the job has no style guide. */
export const DEFAULT_STYLE_GUIDE = "flat vector illustration, soft natural light, clean composition, no text";

interface Templates {
  /** Intro openers (short ones first: the writer picks among those that fit); `{t}` is the topic in quotes. */
  introOpeners: string[];
  introFillers: string[];
  /** Last sentence of the intro ("Let's begin."). */
  introClosers: string[];
  /**
   * Numbered main points as [long, short] variants, used in this order (cycling); the long variant
   * when it fits the segment, else the short one. `{n}` is the point number.
   */
  mainPoints: Array<readonly [string, string]>;
  mainDetails: string[];
  outroOpeners: string[];
  outroFillers: string[];
  outroClosers: string[];
  /** Wraps the topic in the language's quotes. */
  quote: (topic: string) => string;
}

const TEMPLATES: Record<Language, Templates> = {
  ru: {
    quote: (t) => `«${t}»`,
    introOpeners: [
      "Сегодня поговорим на тему {t}.",
      "Тема этого выпуска — {t}.",
      "Наша тема сегодня — {t}.",
      "Разбираемся в теме {t}.",
      "В этом видео мы коротко и по порядку разберём тему {t}.",
      "На первый взгляд тема {t} кажется простой, но в ней много интересного.",
    ],
    introFillers: [
      "Давайте разберёмся, с чего всё начинается.",
      "Что здесь действительно важно?",
      "Вы узнаете главные факты и полезные советы.",
      "Будет коротко, понятно и по делу.",
      "Мы пойдём шаг за шагом.",
      "От простого — к сложному.",
      "Многие делают это каждый день.",
      "О деталях задумываются немногие.",
      "Детали здесь решают всё.",
      "Здесь есть свои секреты, и их несложно освоить.",
      "Устраивайтесь поудобнее.",
      "Будет интересно.",
      "Многие сталкиваются с этим каждый день, но редко задумываются о деталях.",
    ],
    introClosers: ["Начнём.", "Поехали!", "Приступим."],
    mainPoints: [
      ["Шаг {n}: разберёмся, из чего складывается тема {t}.", "Шаг {n}: разбираемся в основах."],
      ["Шаг {n}: посмотрим, какие инструменты и материалы здесь нужны.", "Шаг {n}: готовим всё необходимое."],
      [
        "Шаг {n}: обратим внимание на порядок действий, ведь он влияет на результат.",
        "Шаг {n}: соблюдаем порядок действий.",
      ],
      ["Шаг {n}: разберём простой пример из повседневной жизни.", "Шаг {n}: смотрим на пример."],
      [
        "Шаг {n}: поговорим о времени и о том, сколько его нужно на самом деле.",
        "Шаг {n}: следим за временем.",
      ],
      ["Шаг {n}: отметим типичные ошибки, которых легко избежать.", "Шаг {n}: избегаем частых ошибок."],
      ["Шаг {n}: сравним несколько подходов и выберем подходящий.", "Шаг {n}: сравниваем разные способы."],
      ["Шаг {n}: вспомним, как это делали раньше и что изменилось сегодня.", "Шаг {n}: вспоминаем историю."],
      ["Шаг {n}: обсудим, как сделать процесс удобнее и безопаснее.", "Шаг {n}: думаем о безопасности."],
      ["Шаг {n}: проверим результат и поймём, что можно улучшить.", "Шаг {n}: проверяем результат."],
    ],
    mainDetails: [
      "Это основа, без которой остальное не работает.",
      "Здесь важны внимание и немного терпения.",
      "Опытные люди советуют не торопиться.",
      "Мелочи здесь заметно влияют на итог.",
      "Многие пропускают этот момент, и зря.",
      "Попробуйте сами — разница будет заметна сразу.",
      "Так тема {t} становится понятнее.",
      "Это экономит и время, и силы.",
      "Это важно.",
      "Не спешите.",
      "Мелочи решают многое.",
      "Здесь нужна точность.",
      "Запомните этот момент.",
      "Кстати, это частый вопрос новичков.",
      "Проверено на практике.",
      "Здесь легко ошибиться.",
      "Со временем это войдёт в привычку.",
      "Хороший результат начинается именно здесь.",
    ],
    outroOpeners: [
      "Подведём итог.",
      "Итак, подытожим.",
      "Вот и всё о теме {t}.",
      "Итак, мы разобрали тему {t} от начала до конца.",
      "Подведём итог: тема {t} проще, чем кажется.",
    ],
    outroFillers: [
      "Главное — порядок действий и немного практики.",
      "Надеемся, теперь всё кажется проще.",
      "Пробуйте, экспериментируйте, ищите свой способ.",
      "Возвращайтесь к этим шагам, когда понадобится.",
      "Всё получится.",
      "Пробуйте сами.",
      "Делитесь опытом в комментариях.",
      "Расскажите друзьям, если было полезно.",
      "Практика — лучший учитель.",
      "Не бойтесь ошибаться.",
      "Каждая попытка делает вас увереннее.",
    ],
    outroClosers: ["Спасибо, что посмотрели!", "До встречи в следующем выпуске!", "До встречи!"],
  },
  en: {
    quote: (t) => `"${t}"`,
    introOpeners: [
      "Today we are talking about {t}.",
      "This episode is all about {t}.",
      "Let's explore {t}.",
      "Our topic today: {t}.",
      "In this short video we walk through {t} step by step.",
      "At first glance {t} looks simple, but there is a lot to discover.",
    ],
    introFillers: [
      "Let's see where it all starts.",
      "What really matters here?",
      "You will learn key facts and useful tips.",
      "It will be short, clear and to the point.",
      "We will go step by step.",
      "From simple to advanced.",
      "Many people do this every day.",
      "Few people think about the details.",
      "The details make all the difference.",
      "There are a few secrets, and they are easy to learn.",
      "Get comfortable.",
      "It will be fun.",
      "Many people deal with this every day but rarely think about the details.",
    ],
    introClosers: ["Let's begin.", "Here we go!", "Let's get started."],
    mainPoints: [
      ["Step {n}: let's look at what {t} is made of.", "Step {n}: learn the basics."],
      ["Step {n}: let's see which tools and materials you need.", "Step {n}: gather what you need."],
      [
        "Step {n}: pay attention to the order of actions, because it shapes the result.",
        "Step {n}: keep the right order.",
      ],
      ["Step {n}: walk through a simple everyday example.", "Step {n}: try a simple example."],
      ["Step {n}: talk about time and how much of it you really need.", "Step {n}: watch the time."],
      ["Step {n}: note the common mistakes that are easy to avoid.", "Step {n}: avoid common mistakes."],
      [
        "Step {n}: compare a few approaches and pick the one that suits you.",
        "Step {n}: compare the options.",
      ],
      [
        "Step {n}: remember how it used to be done and what has changed today.",
        "Step {n}: look back at history.",
      ],
      ["Step {n}: make the process easier and safer.", "Step {n}: stay safe."],
      ["Step {n}: check the result and see what can be improved.", "Step {n}: check the result."],
    ],
    mainDetails: [
      "This is the foundation for everything else.",
      "Attention and a little patience matter here.",
      "Experienced people advise not to rush.",
      "Small things make a visible difference.",
      "Many people skip this part, and that is a mistake.",
      "Try it yourself and you will see the difference.",
      "This is how {t} becomes easier to understand.",
      "It saves both time and effort.",
      "This matters.",
      "Take your time.",
      "Details decide a lot.",
      "Precision pays off here.",
      "Remember this one.",
      "Beginners often ask about it.",
      "It is tested in practice.",
      "It is easy to slip here.",
      "Soon it becomes a habit.",
      "Good results start right here.",
    ],
    outroOpeners: [
      "To sum up.",
      "So, let's recap.",
      "That is all about {t}.",
      "So, we have covered {t} from start to finish.",
      "To sum up, {t} is simpler than it seems.",
    ],
    outroFillers: [
      "The key is the right order and a little practice.",
      "We hope it all feels easier now.",
      "Try, experiment and find your own way.",
      "Come back to these steps whenever you need them.",
      "You can do it.",
      "Give it a try.",
      "Share your experience in the comments.",
      "Tell your friends if this was useful.",
      "Practice is the best teacher.",
      "Do not be afraid of mistakes.",
      "Every attempt makes you more confident.",
    ],
    outroClosers: ["Thanks for watching!", "See you in the next episode!", "See you soon!"],
  },
};

/** Shot description per section for image prompts; main rotates through its list by segment index. */
const SHOTS: Record<Section, readonly string[]> = {
  intro: ["wide establishing shot"],
  main: ["medium shot", "close-up detail", "overhead view", "wide shot", "side view"],
  outro: ["calm wide closing shot, warm evening light"],
};

function validateFormat(segmentCount: number, segmentSeconds: number): void {
  if (!Number.isInteger(segmentCount) || segmentCount < 1) {
    throw new RangeError(`segmentCount must be an integer ≥ 1, got ${segmentCount}`);
  }
  if (!Number.isFinite(segmentSeconds) || segmentSeconds <= 0) {
    throw new RangeError(`segmentSeconds must be a finite number > 0, got ${segmentSeconds}`);
  }
}

/** Trims, collapses whitespace, strips surrounding quotes and final punctuation. */
function cleanTopic(topic: string): string {
  return normalizeSpaces(topic)
    .replace(/^["'«“„]+|["'»”“]+$/gu, "")
    .replace(/[.!?…]+$/u, "")
    .trim();
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A pool of templates (shuffled when an rng is given, else in order) that avoids repeats: `take`
 * returns the first unused item of at most `remaining` words. A new round (everything unused
 * again) starts only when no unused item could fit even an empty segment of `perSegment` words.
 */
class Pool<T> {
  private readonly items: T[];
  private readonly used: boolean[];
  constructor(
    items: readonly T[],
    rng: Rng | null,
    private readonly words: (item: T) => number,
    private readonly perSegment: number,
  ) {
    this.items = rng ? shuffled(items, rng) : [...items];
    this.used = this.items.map(() => false);
  }
  take(remaining: number): T | null {
    const find = () => this.items.findIndex((item, i) => !this.used[i] && this.words(item) <= remaining);
    let index = find();
    if (index < 0 && !this.items.some((item, i) => !this.used[i] && this.words(item) <= this.perSegment)) {
      this.used.fill(false);
      index = find();
    }
    if (index < 0) return null;
    this.used[index] = true;
    return this.items[index]!;
  }
}

/** Sentence sources of one section. */
interface SectionPlan {
  /** First sentence of the section (the one of these that fits a segment, else the shortest). */
  openers: readonly string[];
  /** Next sentence that fits `remaining` words, or null when none does. */
  fill: (remaining: number) => string | null;
  /** Shortest possible next sentence (used when nothing fits an empty segment). */
  shortest: () => string;
  /** Last sentence of the section, if it fits. */
  closers: readonly string[];
}

/**
 * Writes one section segment by segment: each segment gets whole sentences totalling at most
 * `perSegment` words (at least one sentence, the shortest available, when nothing fits), the
 * section's opener (the longest that fits) leads its first segment and a closer ends its last one
 * when it fits. So the
 * text can always be split into `segments` parts that each fit their duration.
 */
function writeSection(plan: SectionPlan, segments: number, perSegment: number, rng: Rng): string {
  const out: string[] = [];
  const byLength = (items: readonly string[]) =>
    [...items].sort((a, b) => countWords(a) - countWords(b) || a.localeCompare(b));
  for (let k = 0; k < segments; k++) {
    let remaining = perSegment;
    const add = (sentence: string): void => {
      out.push(sentence);
      remaining -= countWords(sentence);
    };
    if (k === 0 && plan.openers.length > 0) {
      // The longest opener that fits (the long ones name the topic), else the shortest one.
      const fitting = byLength(plan.openers.filter((o) => countWords(o) <= remaining));
      const longest = fitting.filter((o) => countWords(o) === countWords(fitting[fitting.length - 1] ?? ""));
      add(longest.length > 0 ? rng.pick(longest) : byLength(plan.openers)[0]!);
    }
    const closer = k === segments - 1 && plan.closers.length > 0 ? rng.pick(plan.closers) : null;
    const closerWords = closer ? countWords(closer) : 0;
    const reserve = closer && closerWords <= remaining ? closerWords : 0;
    for (;;) {
      const next = plan.fill(remaining - reserve);
      if (next === null || next === out[out.length - 1]) break;
      add(next);
    }
    if (remaining === perSegment) add(plan.shortest());
    if (closer && closerWords <= remaining) add(closer);
  }
  return out.join(" ");
}

/**
 * Writes a generic, sensible script about `topic` (deterministic). Intro introduces the topic,
 * main is a list of numbered steps with supporting sentences, outro sums up and says goodbye.
 * Sections get their 1:2:1 share of segments (`sectionCounts`) and are written segment by
 * segment: whole sentences of at most ⌊LOCAL_SCRIPT_FILL × segmentSeconds × WORDS_PER_SECOND⌋
 * words per segment (more only when even the shortest sentence is longer, e.g. for a very long
 * topic or very short segments). Every section has at least as many words as segments.
 *
 * @throws RangeError on a blank topic or an invalid format.
 */
export function writeLocalScript(input: WriteScriptInput): Script {
  const { language, segmentCount, segmentSeconds } = input;
  validateFormat(segmentCount, segmentSeconds);
  const topic = cleanTopic(input.topic);
  if (countWords(topic) === 0) throw new RangeError("topic must contain at least one word");
  const rng = createRng(hash32("script", topic, language, segmentCount, segmentSeconds));
  const tpl = TEMPLATES[language];
  const fillIn = (s: string, n = 0): string =>
    s.replaceAll("{t}", tpl.quote(topic)).replaceAll("{n}", String(n));
  const counts = sectionCounts(segmentCount);
  const perSegment = Math.floor(segmentSeconds * WORDS_PER_SECOND[language] * LOCAL_SCRIPT_FILL);
  const shortestOf = (pool: readonly string[], n = 0): string =>
    [...pool]
      .map((t) => fillIn(t, n))
      .sort((a, b) => countWords(a) - countWords(b) || a.localeCompare(b))[0]!;
  const wordsOf = (t: string): number => countWords(fillIn(t, 1));
  const filler = (templates: readonly string[]) => {
    const pool = new Pool(templates, rng, wordsOf, perSegment);
    return (remaining: number): string | null => {
      const s = pool.take(remaining);
      return s === null ? null : fillIn(s);
    };
  };

  const sections: Script["sections"] = { intro: "", main: "", outro: "" };
  if (counts.intro > 0) {
    sections.intro = writeSection(
      {
        openers: tpl.introOpeners.map((t) => fillIn(t)),
        fill: filler(tpl.introFillers),
        shortest: () => shortestOf(tpl.introFillers),
        closers: tpl.introClosers,
      },
      counts.intro,
      perSegment,
      rng,
    );
  }
  if (counts.main > 0) {
    const points = new Pool(
      tpl.mainPoints,
      null,
      ([long, short]) => Math.min(wordsOf(long), wordsOf(short)),
      perSegment,
    );
    const details = new Pool(tpl.mainDetails, rng, wordsOf, perSegment);
    let step = 0;
    let lastWasPoint = false;
    sections.main = writeSection(
      {
        openers: [],
        fill: (remaining) => {
          // Numbered points, each usually followed by one supporting detail.
          if (lastWasPoint && rng.next() < 0.75) {
            const detail = details.take(remaining);
            if (detail !== null) {
              lastWasPoint = false;
              return fillIn(detail);
            }
          }
          const point = points.take(remaining);
          if (point !== null) {
            step += 1;
            lastWasPoint = true;
            return fillIn(wordsOf(point[0]) <= remaining ? point[0] : point[1], step);
          }
          const detail = details.take(remaining);
          lastWasPoint = false;
          return detail === null ? null : fillIn(detail);
        },
        shortest: () => {
          step += 1;
          lastWasPoint = true;
          return shortestOf(
            tpl.mainPoints.map(([, short]) => short),
            step,
          );
        },
        closers: [],
      },
      counts.main,
      perSegment,
      rng,
    );
  }
  if (counts.outro > 0) {
    sections.outro = writeSection(
      {
        openers: tpl.outroOpeners.map((t) => fillIn(t)),
        fill: filler(tpl.outroFillers),
        shortest: () => shortestOf(tpl.outroFillers),
        closers: tpl.outroClosers.map((t) => fillIn(t)),
      },
      counts.outro,
      perSegment,
      rng,
    );
  }
  const title = topic.charAt(0).toLocaleUpperCase(language) + topic.slice(1);
  return { title, sections };
}

/**
 * Plans segments for a script (deterministic): splits it with `splitScript` (sections 1:2:1,
 * `startSeconds = index × segmentSeconds`), adds a caption (`captionFor`), an image prompt
 * `"<style guide>; <shot for the section>; subject: <title>; details: <key words>"` (English frame,
 * key words in the narration's language) and a motion prompt from `MOTION_PROMPTS` — "slow zoom in"
 * for the first segment, "slow zoom out" for the last, the others picked by a hash of the script,
 * never the same as the previous segment's.
 *
 * @returns exactly `segmentCount` segments.
 * @throws RangeError on an invalid format or a script with fewer words than `segmentCount`.
 */
export function planLocalSegments(input: PlanSegmentsInput): PlannedSegment[] {
  const { script, language, segmentCount, segmentSeconds } = input;
  const style = normalizeSpaces(input.styleGuide ?? "") || DEFAULT_STYLE_GUIDE;
  const { segments } = splitScript({ script, segmentCount, segmentSeconds, language });
  const rng = createRng(
    hash32(
      "plan",
      script.title,
      script.sections.intro,
      script.sections.main,
      script.sections.outro,
      segmentCount,
    ),
  );
  let previousMotion = "";
  return segments.map((seg, i) => {
    let motionPrompt: string;
    if (i === 0) motionPrompt = "slow zoom in";
    else if (i === segments.length - 1) motionPrompt = "slow zoom out";
    else {
      // Never the previous move; the segment before the last avoids the closing zoom out.
      const last = i === segments.length - 2 ? "slow zoom out" : "";
      motionPrompt = rng.pick(MOTION_PROMPTS.filter((m) => m !== previousMotion && m !== last));
    }
    previousMotion = motionPrompt;
    const shots = SHOTS[seg.section];
    const caption = captionFor(seg.narration);
    const words = keyWords(seg.narration, 5);
    const details = words.length > 0 ? words.join(", ") : caption;
    const imagePrompt = `${style}; ${shots[i % shots.length]}; subject: ${script.title}; details: ${details}`;
    return {
      index: seg.index,
      section: seg.section,
      narration: seg.narration,
      caption,
      startSeconds: seg.startSeconds,
      seconds: seg.seconds,
      imagePrompt,
      motionPrompt,
    };
  });
}

/** Creates the local LLM provider (`name: "local"`): `writeLocalScript` and `planLocalSegments` behind the async interface. */
export function createLocalLlm(): LlmProvider {
  return {
    name: "local",
    writeScript: async (input) => writeLocalScript(input),
    planSegments: async (input) => planLocalSegments(input),
  };
}
