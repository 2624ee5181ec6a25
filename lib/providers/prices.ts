/**
 * The price table (configuration): what one billable unit of each provider model costs, in US
 * dollars and in Kadr credits (1 credit = USD_PER_CREDIT, Runway's own rate), plus the job cost
 * estimate shown before a job starts. Spend recording (spend.ts) prices calls with the same table.
 *
 * Prices are list prices as published by the providers (per token / image / megapixel / second / character);
 * they change — check the pages below when editing:
 * OpenAI https://openai.com/api/pricing · Runway https://docs.dev.runwayml.com/guides/pricing ·
 * Vertex Veo https://cloud.google.com/vertex-ai/generative-ai/pricing · Gemini API
 * https://ai.google.dev/gemini-api/docs/pricing · fal https://fal.ai/pricing · ElevenLabs
 * https://elevenlabs.io/pricing/api.
 */
import { WORDS_PER_SECOND } from "@/lib/storyboard/text";
import type { Language } from "@/lib/storyboard/types";
import { requestedClipSeconds } from "./video/durations";

/** Billable unit kinds. */
export type PriceUnit =
  | "input_token"
  | "output_token"
  | "image"
  /** A million output pixels (upscalers). */
  | "megapixel"
  | "video_second"
  | "audio_second"
  | "character";

/** Quantities of billable units, e.g. `{ input_token: 1200, output_token: 800 }` or `{ image: 1 }`. */
export type UnitQuantities = Partial<Record<PriceUnit, number>>;

/** Price of one unit. */
export interface UnitPrice {
  usd: number;
  credits: number;
}

/** US dollars per Kadr credit. */
export const USD_PER_CREDIT = 0.01;

function perUnit(usd: number): UnitPrice {
  return { usd, credits: usd / USD_PER_CREDIT };
}

const PER_MILLION = 1e-6;

/** provider → model id → unit → price. Local providers cost nothing and are absent. */
export const PRICES: Readonly<
  Record<string, Readonly<Record<string, Readonly<Partial<Record<PriceUnit, UnitPrice>>>>>>
> = {
  openai: {
    "gpt-5": { input_token: perUnit(1.25 * PER_MILLION), output_token: perUnit(10 * PER_MILLION) },
    "gpt-5-mini": { input_token: perUnit(0.25 * PER_MILLION), output_token: perUnit(2 * PER_MILLION) },
    "gpt-5-nano": { input_token: perUnit(0.05 * PER_MILLION), output_token: perUnit(0.4 * PER_MILLION) },
    // Medium quality, ~1 MP landscape image.
    "gpt-image-2": { image: perUnit(0.06) },
    "gpt-image-1-mini": { image: perUnit(0.015) },
    // gpt-4o-mini-tts ≈ $0.015 per minute of speech; tts-1 $15 per million characters.
    "gpt-4o-mini-tts": { audio_second: perUnit(0.015 / 60) },
    "tts-1": { character: perUnit(15 * PER_MILLION) },
  },
  runway: {
    gen4_image: { image: perUnit(0.05) }, // 5 credits at 720p
    gen4_turbo: { video_second: perUnit(0.05) }, // 5 credits/s
    "gen4.5": { video_second: perUnit(0.12) }, // 12 credits/s
  },
  veo: {
    // Vertex AI, video without generated audio (Kadr narrates itself).
    "veo-3.1-generate-001": { video_second: perUnit(0.2) },
    "veo-3.1-fast-generate-001": { video_second: perUnit(0.1) },
  },
  "veo-gemini": {
    // The Gemini API always generates audio with Veo 3.x.
    "veo-3.1-generate-preview": { video_second: perUnit(0.4) },
    "veo-3.1-fast-generate-preview": { video_second: perUnit(0.15) },
  },
  fal: {
    "fal-ai/flux/schnell": { image: perUnit(0.003) }, // $0.003 per megapixel, ~1 MP
    "fal-ai/flux/dev": { image: perUnit(0.025) },
    "fal-ai/flux-pro/kontext": { image: perUnit(0.04) }, // instruction edits
    "fal-ai/flux-pro/kontext/max": { image: perUnit(0.08) },
    "fal-ai/clarity-upscaler": { megapixel: perUnit(0.03) }, // per output megapixel
    "fal-ai/kling-video/v2.1/standard/image-to-video": { video_second: perUnit(0.05) }, // $0.25 per 5 s
    "fal-ai/kling-video/v2.1/pro/image-to-video": { video_second: perUnit(0.09) },
  },
  elevenlabs: {
    eleven_multilingual_v2: { character: perUnit(0.1 / 1000) },
    eleven_flash_v2_5: { character: perUnit(0.05 / 1000) },
  },
};

/** The cost of some units. `priced` is false when the table has no entry for the model. */
export interface Cost {
  usd: number;
  /** Whole credits, rounded up. */
  credits: number;
  priced: boolean;
}

/**
 * Prices `quantities` of a provider model with `PRICES`: Σ quantity × unit price over the units the
 * model is priced in (other units are ignored). Local providers cost 0 and count as priced.
 */
export function costOf(provider: string, model: string | undefined, quantities: UnitQuantities): Cost {
  if (provider === "local") return { usd: 0, credits: 0, priced: true };
  const table = model ? PRICES[provider]?.[model] : undefined;
  if (!table) return { usd: 0, credits: 0, priced: false };
  let usd = 0;
  let credits = 0;
  for (const [unit, quantity] of Object.entries(quantities) as Array<[PriceUnit, number]>) {
    const price = table[unit];
    if (price) {
      usd += price.usd * quantity;
      credits += price.credits * quantity;
    }
  }
  // Round away floating-point noise before rounding credits up (0.05 × 5 / 0.01 = 25.000000000000004).
  return {
    usd: Math.round(usd * 1e6) / 1e6,
    credits: Math.ceil(Math.round(credits * 1e6) / 1e6),
    priced: true,
  };
}

/** A provider as the estimate sees it: its name (the KADR_* value) and resolved model id. */
export interface PricedProvider {
  name: string;
  model?: string;
}

/** Input of `estimateJobCost`. */
export interface JobCostInput {
  /** Integer ≥ 1. */
  segmentCount: number;
  /** Seconds per segment, > 0. */
  segmentSeconds: number;
  /** Narration language (words per second); default "en". */
  language?: Language;
  /** The provider of each stage, e.g. the `Providers` of the runtime. */
  providers: { llm: PricedProvider; image: PricedProvider; video: PricedProvider; tts: PricedProvider };
}

/** One stage of the estimate. */
export interface CostLine extends Cost {
  stage: "llm" | "image" | "video" | "tts";
  provider: string;
  model: string | undefined;
  quantities: UnitQuantities;
}

/** Result of `estimateJobCost`: the total and one line per stage. */
export interface JobCostEstimate {
  usd: number;
  credits: number;
  /** False when some stage's model is missing from the price table (its line counts 0). */
  complete: boolean;
  lines: CostLine[];
}

/** Tokens per narration word (English ≈ 1.3, Russian ≈ 2.5 with current tokenizers). */
const TOKENS_PER_WORD: Record<Language, number> = { en: 1.3, ru: 2.5 };
/** Output tokens per segment: an image prompt (~60) and a motion prompt (~20) with JSON framing. */
const PROMPT_TOKENS_PER_SEGMENT = { image: 70, motion: 25 };
/** Instructions and JSON schema sent with each of the three LLM calls, in tokens. */
const LLM_CALL_OVERHEAD_TOKENS = 600;
/** Characters per narrated word, including the space. */
const CHARACTERS_PER_WORD = 6.5;

/**
 * Estimates a job's provider cost before it starts, with the same table as spend recording:
 * - llm: 3 calls (script, image prompts, motion prompts); output = script tokens + prompt tokens per
 *   segment; input = instructions ×3 + the script twice + image prompts once;
 * - image: one image per segment;
 * - video: per segment, the clip length the model is asked for (`requestedClipSeconds`);
 * - tts: the narrated seconds (and their characters, for providers priced per character).
 *
 * @throws RangeError when segmentCount is not an integer ≥ 1 or segmentSeconds is not > 0.
 */
export function estimateJobCost(input: JobCostInput): JobCostEstimate {
  const { segmentCount, segmentSeconds, providers } = input;
  if (!Number.isInteger(segmentCount) || segmentCount < 1) {
    throw new RangeError(`segmentCount must be an integer ≥ 1, got ${segmentCount}`);
  }
  if (!(Number.isFinite(segmentSeconds) && segmentSeconds > 0)) {
    throw new RangeError(`segmentSeconds must be a finite number > 0, got ${segmentSeconds}`);
  }
  const language = input.language ?? "en";
  const words = segmentCount * segmentSeconds * WORDS_PER_SECOND[language];
  const scriptTokens = Math.ceil(words * TOKENS_PER_WORD[language]);
  const imagePromptTokens = segmentCount * PROMPT_TOKENS_PER_SEGMENT.image;
  const quantities: Record<CostLine["stage"], UnitQuantities> = {
    llm: {
      input_token: 3 * LLM_CALL_OVERHEAD_TOKENS + 2 * scriptTokens + imagePromptTokens,
      output_token: scriptTokens + imagePromptTokens + segmentCount * PROMPT_TOKENS_PER_SEGMENT.motion,
    },
    image: { image: segmentCount },
    video: {
      video_second:
        segmentCount *
        requestedClipSeconds(providers.video.name, providers.video.model ?? "", segmentSeconds),
    },
    tts: { audio_second: segmentCount * segmentSeconds, character: Math.ceil(words * CHARACTERS_PER_WORD) },
  };
  const lines = (["llm", "image", "video", "tts"] as const).map((stage): CostLine => {
    const { name, model } = providers[stage];
    return {
      stage,
      provider: name,
      model,
      quantities: quantities[stage],
      ...costOf(name, model, quantities[stage]),
    };
  });
  return {
    usd: Math.round(lines.reduce((sum, line) => sum + line.usd, 0) * 1e6) / 1e6,
    credits: lines.reduce((sum, line) => sum + line.credits, 0),
    complete: lines.every((line) => line.priced),
    lines,
  };
}
