/**
 * Provider selection: one factory reads the environment and returns the four providers the
 * pipeline uses. Only the offline "local" implementations exist so far; real clients register
 * here under new names.
 */
import { createLocalImage } from "./image/local";
import type { ImageProvider } from "./image/types";
import { createLocalLlm } from "./llm/local";
import type { LlmProvider } from "./llm/types";
import { createLocalTts } from "./tts/local";
import type { TtsProvider } from "./tts/types";
import { createLocalVideo } from "./video/local";
import type { VideoProvider } from "./video/types";

export type { ImageProvider, RenderImageInput } from "./image/types";
export type { LlmProvider, PlanSegmentsInput, WriteScriptInput } from "./llm/types";
export type { SynthesizedSpeech, SynthesizeInput, TtsProvider } from "./tts/types";
export type { AnimateImageInput, VideoProvider } from "./video/types";

/** The providers of one process, each with its `name` (the value chosen in the environment). */
export interface Providers {
  llm: LlmProvider;
  image: ImageProvider;
  video: VideoProvider;
  tts: TtsProvider;
}

/** Factories per provider kind and name. The first name of each kind is its default. */
const FACTORIES: { readonly [K in keyof Providers]: Readonly<Record<string, () => Providers[K]>> } = {
  llm: { local: createLocalLlm },
  image: { local: createLocalImage },
  video: { local: createLocalVideo },
  tts: { local: createLocalTts },
};

/** Environment variable choosing each kind. */
export const PROVIDER_VARIABLES: { readonly [K in keyof Providers]: string } = {
  llm: "KADR_LLM",
  image: "KADR_IMAGE",
  video: "KADR_VIDEO",
  tts: "KADR_TTS",
};

/** Names accepted by each environment variable (default first). */
export const PROVIDER_NAMES: { readonly [K in keyof Providers]: readonly string[] } = {
  llm: Object.keys(FACTORIES.llm),
  image: Object.keys(FACTORIES.image),
  video: Object.keys(FACTORIES.video),
  tts: Object.keys(FACTORIES.tts),
};

function choose<K extends keyof Providers>(kind: K, env: Record<string, string | undefined>): Providers[K] {
  const variable = PROVIDER_VARIABLES[kind];
  const allowed = PROVIDER_NAMES[kind];
  const raw = env[variable]?.trim().toLowerCase();
  const name = raw ? raw : allowed[0]!;
  const factory = Object.hasOwn(FACTORIES[kind], name) ? FACTORIES[kind][name] : undefined;
  if (!factory) {
    throw new Error(
      `${variable}="${env[variable]}" is not a known ${kind} provider; allowed values: ${allowed.join(", ")}`,
    );
  }
  return factory();
}

/**
 * Builds the providers from the environment: `KADR_LLM`, `KADR_IMAGE`, `KADR_VIDEO`, `KADR_TTS`
 * (case-insensitive, surrounding spaces ignored; unset or empty means "local", the only value
 * accepted today).
 *
 * @param env environment to read (default `process.env`).
 * @returns `{ llm, image, video, tts }`, each with a `name`.
 * @throws Error naming the variable and the allowed values when a variable has an unknown value.
 */
export function getProviders(env: Record<string, string | undefined> = process.env): Providers {
  return {
    llm: choose("llm", env),
    image: choose("image", env),
    video: choose("video", env),
    tts: choose("tts", env),
  };
}
