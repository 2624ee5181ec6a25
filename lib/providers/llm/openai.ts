/**
 * The OpenAI script-and-prompts provider: the Responses API with strict structured outputs
 * (`client.responses.parse` + `zodTextFormat`, https://platform.openai.com/docs/guides/structured-outputs).
 * Works with any OpenAI-compatible server through OPENAI_BASE_URL.
 *
 * Three calls for any segment count:
 * 1. `writeScript` — the whole script (title, intro, main, outro) in the job's language, with a word
 *    budget per section from the 1:2:1 segment split;
 * 2. `planSegments` — the narration is split locally (`splitScript`, deterministic), then one call
 *    writes the image prompts of all segments plus a shared style guide (kept when the job has one),
 *    and
 * 3. one call writes the motion prompts of all segments.
 * A prompts call is split into batches only when its estimated output would exceed half of
 * `maxOutputTokens` (the other half is left to reasoning tokens), and a batch that still comes back
 * `incomplete` (max_output_tokens) is halved and asked again.
 */
import type OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { z } from "zod";
import { captionFor } from "@/lib/storyboard/captions";
import { sectionCounts } from "@/lib/storyboard/sections";
import { splitScript, type TimedSegment } from "@/lib/storyboard/split";
import { countWords, normalizeSpaces, WORDS_PER_SECOND } from "@/lib/storyboard/text";
import type { Language, PlannedSegment, Script } from "@/lib/storyboard/types";
import { fromOpenAiError, OPENAI_LABEL } from "../clients/openai";
import { ProviderError, transientFailure } from "../errors";
import { reportUsage } from "../spend";
import type { LlmProvider, PlanSegmentsInput, WriteScriptInput } from "./types";

/** Options of `createOpenAiLlm`. */
export interface OpenAiLlmOptions {
  client: OpenAI;
  /** Resolved model id, e.g. "gpt-5-mini" (see models.ts). */
  model: string;
  /** `max_output_tokens` of every call, reasoning included (default 32 000). */
  maxOutputTokens?: number;
}

/** Default `max_output_tokens` per call. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 32_000;
/** Share of each segment's time the script fills (leaves room for pauses), as the local writer. */
const SCRIPT_FILL = 0.85;
/** Estimated output tokens per segment: an image prompt with its JSON framing, a motion prompt. */
export const PROMPT_TOKENS_PER_SEGMENT = { image: 90, motion: 40 } as const;
/** Output tokens reserved for the JSON envelope and the style guide of a prompts call. */
const PROMPT_CALL_OVERHEAD_TOKENS = 200;

const LANGUAGE_NAMES: Record<Language, string> = { en: "English", ru: "Russian" };

const ScriptDraftSchema = z.object({
  title: z.string(),
  intro: z.string(),
  main: z.string(),
  outro: z.string(),
});

function imagePromptsSchema(count: number) {
  return z.object({
    styleGuide: z.string(),
    prompts: z.array(z.object({ index: z.number().int(), prompt: z.string() })).length(count),
  });
}

function motionPromptsSchema(count: number) {
  return z.object({
    motions: z.array(z.object({ index: z.number().int(), motion: z.string() })).length(count),
  });
}

type Answer<T> = { parsed: T } | { incomplete: true };

/**
 * One structured-output call. Reports token usage; maps refusals and content-filter stops to
 * safety errors, SDK errors with `fromOpenAiError`.
 * @returns the parsed object, or `{ incomplete: true }` when the answer hit max_output_tokens.
 */
async function ask<S extends z.ZodType>(
  options: OpenAiLlmOptions,
  schema: S,
  name: string,
  system: string,
  user: string,
): Promise<Answer<z.infer<S>>> {
  let response: Awaited<ReturnType<typeof options.client.responses.parse>>;
  try {
    response = await options.client.responses.parse({
      model: options.model,
      input: [
        { role: "system", content: system },
        { role: "user", content: user },
      ],
      text: { format: zodTextFormat(schema, name) },
      max_output_tokens: options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    });
  } catch (err) {
    throw fromOpenAiError(err);
  }
  if (response.usage) {
    reportUsage({
      model: options.model,
      quantities: { input_token: response.usage.input_tokens, output_token: response.usage.output_tokens },
    });
  }
  for (const item of response.output) {
    if (item.type !== "message") continue;
    for (const part of item.content) {
      if (part.type === "refusal") {
        throw new ProviderError({ kind: "safety", provider: OPENAI_LABEL, reason: part.refusal });
      }
    }
  }
  const reason = response.incomplete_details?.reason;
  if (response.status === "incomplete" && reason === "content_filter") {
    throw new ProviderError({ kind: "safety", provider: OPENAI_LABEL, reason: "content_filter" });
  }
  if (response.status === "incomplete" && reason === "max_output_tokens") return { incomplete: true };
  if (response.status !== "completed" || response.output_parsed === null) {
    throw transientFailure(OPENAI_LABEL, `no structured output (status ${response.status})`);
  }
  return { parsed: response.output_parsed as z.infer<S> };
}

function validateFormat(segmentCount: number, segmentSeconds: number): void {
  if (!Number.isInteger(segmentCount) || segmentCount < 1) {
    throw new RangeError(`segmentCount must be an integer ≥ 1, got ${segmentCount}`);
  }
  if (!Number.isFinite(segmentSeconds) || segmentSeconds <= 0) {
    throw new RangeError(`segmentSeconds must be a finite number > 0, got ${segmentSeconds}`);
  }
}

/** Target words of each section: its segments × seconds × words per second × SCRIPT_FILL. */
function scriptWordBudget(input: WriteScriptInput): Record<keyof Script["sections"], number> {
  const counts = sectionCounts(input.segmentCount);
  const perSegment = input.segmentSeconds * WORDS_PER_SECOND[input.language] * SCRIPT_FILL;
  return {
    intro: Math.floor(counts.intro * perSegment),
    main: Math.floor(counts.main * perSegment),
    outro: Math.floor(counts.outro * perSegment),
  };
}

async function writeScript(options: OpenAiLlmOptions, input: WriteScriptInput): Promise<Script> {
  const topic = normalizeSpaces(input.topic);
  if (countWords(topic) === 0) throw new RangeError("topic must contain at least one word");
  validateFormat(input.segmentCount, input.segmentSeconds);
  const counts = sectionCounts(input.segmentCount);
  const budget = scriptWordBudget(input);
  const sectionLine = (section: keyof Script["sections"], role: string) =>
    counts[section] === 0
      ? `- ${section}: an empty string.`
      : `- ${section}: ${role}, about ${budget[section]} words (never more), at least ${counts[section]} sentences.`;
  const system = [
    `You write narration scripts for short narrated videos, in ${LANGUAGE_NAMES[input.language]}.`,
    "Write only the words the narrator speaks: no headings, stage directions, lists, emoji or markdown.",
    "Use short, clear sentences of spoken language.",
  ].join("\n");
  const user = [
    `Topic: ${topic}`,
    `The video has ${input.segmentCount} segments of ${input.segmentSeconds} s; the narration must fit them.`,
    "Sections:",
    sectionLine("intro", "introduces the topic and hooks the viewer"),
    sectionLine("main", "the substance, step by step"),
    sectionLine("outro", "sums up and says goodbye"),
    `title: a title of at most 60 characters, in ${LANGUAGE_NAMES[input.language]}.`,
  ].join("\n");
  const answer = await ask(options, ScriptDraftSchema, "video_script", system, user);
  if ("incomplete" in answer) {
    throw new ProviderError({
      kind: "invalid",
      provider: OPENAI_LABEL,
      reason: "the script did not fit max_output_tokens; raise the limit or shorten the video",
    });
  }
  const draft = answer.parsed;
  const sections = {
    intro: normalizeSpaces(draft.intro),
    main: normalizeSpaces(draft.main),
    outro: normalizeSpaces(draft.outro),
  };
  for (const section of ["intro", "main", "outro"] as const) {
    if (countWords(sections[section]) < counts[section]) {
      throw transientFailure(
        OPENAI_LABEL,
        `the ${section} has fewer words than its ${counts[section]} segment(s)`,
      );
    }
  }
  return { title: normalizeSpaces(draft.title) || topic, sections };
}

/**
 * Runs `call` over `items` in as few batches as fit `budgetTokens` of output at `tokensPerItem`
 * each; a batch answered `incomplete` is halved and retried.
 * @throws ProviderError invalid when a single item does not fit.
 */
async function inBatches<I, R>(
  items: readonly I[],
  tokensPerItem: number,
  budgetTokens: number,
  call: (batch: readonly I[]) => Promise<Answer<R[]>>,
): Promise<R[]> {
  const size = Math.max(1, Math.floor((budgetTokens - PROMPT_CALL_OVERHEAD_TOKENS) / tokensPerItem));
  const run = async (batch: readonly I[]): Promise<R[]> => {
    const answer = await call(batch);
    if ("parsed" in answer) return answer.parsed;
    if (batch.length === 1) {
      throw new ProviderError({
        kind: "invalid",
        provider: OPENAI_LABEL,
        reason: "one segment's prompt did not fit max_output_tokens",
      });
    }
    const half = Math.ceil(batch.length / 2);
    return [...(await run(batch.slice(0, half))), ...(await run(batch.slice(half)))];
  };
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await run(items.slice(start, start + size))));
  }
  return results;
}

/** Checks that a batch answer covers exactly the batch's segment indices; returns them by index. */
function byIndex<T extends { index: number }>(
  answer: readonly T[],
  batch: readonly TimedSegment[],
): Map<number, T> {
  const map = new Map(answer.map((item) => [item.index, item]));
  const expected = batch.map((s) => s.index);
  if (map.size !== expected.length || expected.some((index) => !map.has(index))) {
    throw transientFailure(
      OPENAI_LABEL,
      `prompts for segments ${[...map.keys()].join(",")} instead of ${expected.join(",")}`,
    );
  }
  return map;
}

function segmentList(batch: readonly TimedSegment[], extra?: (s: TimedSegment) => string): string {
  return batch
    .map((s) => `#${s.index} [${s.section}] ${s.narration}${extra ? `\n   ${extra(s)}` : ""}`)
    .join("\n");
}

async function planSegments(options: OpenAiLlmOptions, input: PlanSegmentsInput): Promise<PlannedSegment[]> {
  const { script, language, segmentCount, segmentSeconds } = input;
  validateFormat(segmentCount, segmentSeconds);
  const { segments } = splitScript({ script, segmentCount, segmentSeconds, language });
  const budget = Math.floor((options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS) / 2);
  let styleGuide = normalizeSpaces(input.styleGuide ?? "");

  const imageSystem = [
    "You are the art director of a narrated video. For every segment write one prompt for an",
    "image generation model (English, 20-60 words): subject, setting, composition, lighting.",
    "Every image must look like a frame of the same film: follow the style guide exactly and do",
    "not restate it in the prompts. No text, letters, logos or watermarks in the images.",
  ].join(" ");
  const imagePrompts = await inBatches(segments, PROMPT_TOKENS_PER_SEGMENT.image, budget, async (batch) => {
    const style = styleGuide
      ? `Style guide (use verbatim as styleGuide): ${styleGuide}`
      : "Style guide: write one (English, 10-30 words: medium, palette, lighting, lens) for the whole video.";
    const user = `Video: ${script.title}\n${style}\nSegments (index, section, narration):\n${segmentList(batch)}`;
    const answer = await ask(options, imagePromptsSchema(batch.length), "image_prompts", imageSystem, user);
    if ("incomplete" in answer) return answer;
    styleGuide ||= normalizeSpaces(answer.parsed.styleGuide);
    const map = byIndex(answer.parsed.prompts, batch);
    return { parsed: batch.map((s) => normalizeSpaces(map.get(s.index)!.prompt)) };
  });

  const promptOf = new Map(segments.map((s, i) => [s.index, imagePrompts[i]!]));
  const motionSystem = [
    "You direct the camera of an image-to-video model. For every segment write one motion prompt",
    "(English, at most 25 words) for animating its still image: begin with one camera move —",
    "slow zoom in, slow zoom out, pan left, pan right, pan up or pan down — then subtle motion in",
    "the scene. Vary the moves between neighbouring segments.",
  ].join(" ");
  const motions = await inBatches(segments, PROMPT_TOKENS_PER_SEGMENT.motion, budget, async (batch) => {
    const user = `Video: ${script.title}\nSegments (index, section, narration, image):\n${segmentList(
      batch,
      (s) => `image: ${promptOf.get(s.index)}`,
    )}`;
    const answer = await ask(
      options,
      motionPromptsSchema(batch.length),
      "motion_prompts",
      motionSystem,
      user,
    );
    if ("incomplete" in answer) return answer;
    const map = byIndex(answer.parsed.motions, batch);
    return { parsed: batch.map((s) => normalizeSpaces(map.get(s.index)!.motion)) };
  });

  return segments.map((s, i) => {
    const prompt = imagePrompts[i]!;
    const motion = motions[i]!;
    if (!prompt || !motion) throw transientFailure(OPENAI_LABEL, `empty prompt for segment ${s.index}`);
    return {
      index: s.index,
      section: s.section,
      narration: s.narration,
      caption: captionFor(s.narration),
      startSeconds: s.startSeconds,
      seconds: s.seconds,
      imagePrompt: styleGuide ? `${styleGuide}. ${prompt}` : prompt,
      motionPrompt: motion,
    };
  });
}

/**
 * Creates the OpenAI LLM provider (`name: "openai"`). `writeScript` makes one Responses call,
 * `planSegments` two (more only when batching is needed, see the module comment).
 *
 * @throws (from its methods) RangeError on invalid input as the local provider; ProviderError for
 *   every OpenAI failure (see `fromOpenAiError`), refusals as safety errors.
 */
export function createOpenAiLlm(options: OpenAiLlmOptions): LlmProvider {
  return {
    name: "openai",
    model: options.model,
    writeScript: (input) => writeScript(options, input),
    planSegments: (input) => planSegments(options, input),
  };
}
