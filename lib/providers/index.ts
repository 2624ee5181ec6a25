/**
 * Provider selection: one factory reads the environment and returns the four providers the
 * pipeline uses — the offline "local" implementations by default, real clients by name
 * (KADR_LLM, KADR_IMAGE, KADR_VIDEO, KADR_TTS). Credentials and endpoints use each SDK's standard
 * variable names; a selected provider whose credentials are missing fails here, at start, with a
 * ConfigError naming the setting. Model ids come from KADR_<KIND>_MODEL through the aliases of
 * models.ts.
 */
import fs from "node:fs";
import { ConfigError, type SettingProblem } from "@/lib/env";
import type { FalConnection } from "./clients/fal";
import type { GeminiConnection, VertexConnection } from "./clients/google";
import type { OpenAiConnection } from "./clients/openai";
import type { RunwayConnection } from "./clients/runway";
import { createLocalImage } from "./image/local";
import type { ImageProvider } from "./image/types";
import { createLocalLlm } from "./llm/local";
import type { LlmProvider } from "./llm/types";
import { resolveModel } from "./models";
import type { ElevenLabsConnection } from "./tts/elevenlabs";
import { createLocalTts } from "./tts/local";
import type { TtsProvider } from "./tts/types";
import { createLocalVideo } from "./video/local";
import { CLIP_POLL_SECONDS } from "./video/poll-hints";
import type { ClipJobProvider, VideoProvider } from "./video/types";

export type { SettingProblem } from "@/lib/env";
export type { EditImageInput, ImageProvider, RenderImageInput, UpscaleImageInput } from "./image/types";
export type { LlmProvider, PlanSegmentsInput, WriteScriptInput } from "./llm/types";
export type { SpokenWord, SynthesizedSpeech, SynthesizeInput, TtsProvider } from "./tts/types";
export type {
  AnimateImageInput,
  ClipJobProvider,
  ClipJobState,
  ClipRequest,
  ClipSource,
  SaveClipTarget,
  VideoProvider,
} from "./video/types";

/** The providers of one process, each with its `name` (the value chosen in the environment). */
export interface Providers {
  llm: LlmProvider;
  image: ImageProvider;
  video: VideoProvider;
  tts: TtsProvider;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variable choosing each kind. */
export const PROVIDER_VARIABLES: { readonly [K in keyof Providers]: string } = {
  llm: "KADR_LLM",
  image: "KADR_IMAGE",
  video: "KADR_VIDEO",
  tts: "KADR_TTS",
};

/** Variable holding each kind's model alias or id (see models.ts). */
export const MODEL_VARIABLES: { readonly [K in keyof Providers]: string } = {
  llm: "KADR_LLM_MODEL",
  image: "KADR_IMAGE_MODEL",
  video: "KADR_VIDEO_MODEL",
  tts: "KADR_TTS_MODEL",
};

/**
 * Reads settings for one selection ("KADR_IMAGE=openai"). Without `problems` a missing required
 * setting throws at once; with it, each is recorded there and a blank placeholder returned, so one
 * pass finds every missing setting (factories only store settings, they call no provider).
 */
class Settings {
  constructor(
    private readonly env: Env,
    private readonly selection: string,
    private readonly problems?: SettingProblem[],
  ) {}

  /** @throws ConfigError naming `name` when it is unset or blank (unless problems are collected). */
  required(name: string): string {
    const value = this.optional(name);
    if (!value) {
      if (this.problems) {
        this.problems.push({ setting: name, selection: this.selection, problem: "is not set" });
        return "";
      }
      const variable = this.selection.split("=")[0];
      throw new ConfigError(`${this.selection} needs ${name}; set it or choose another ${variable}`);
    }
    return value;
  }

  optional(name: string): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  /** A required path setting that must name an existing file. */
  file(name: string): string {
    const value = this.required(name);
    if (!value || fs.existsSync(value)) return value;
    if (this.problems) {
      this.problems.push({
        setting: name,
        selection: this.selection,
        problem: `names a missing file (${value})`,
      });
      return value;
    }
    throw new ConfigError(`${this.selection}: ${name} names a missing file (${value})`);
  }

  openAi(): OpenAiConnection {
    return { apiKey: this.required("OPENAI_API_KEY"), baseURL: this.optional("OPENAI_BASE_URL") };
  }

  runway(): RunwayConnection {
    return { apiKey: this.required("RUNWAYML_API_SECRET"), baseURL: this.optional("RUNWAYML_BASE_URL") };
  }

  vertex(): VertexConnection {
    return {
      project: this.required("GOOGLE_CLOUD_PROJECT"),
      location: this.optional("GOOGLE_CLOUD_LOCATION") ?? "us-central1",
      keyFile: this.file("GOOGLE_APPLICATION_CREDENTIALS"),
      baseUrl: this.optional("GOOGLE_VERTEX_BASE_URL"),
    };
  }

  gemini(): GeminiConnection {
    return { apiKey: this.required("GEMINI_API_KEY"), baseUrl: this.optional("GOOGLE_GEMINI_BASE_URL") };
  }

  fal(): FalConnection {
    return { key: this.required("FAL_KEY"), baseUrl: this.optional("KADR_FAL_BASE_URL") };
  }

  elevenLabs(): ElevenLabsConnection {
    return { apiKey: this.required("ELEVENLABS_API_KEY"), baseUrl: this.optional("ELEVENLABS_BASE_URL") };
  }
}

/** Methods of each interface, delegated by `lazy`. */
const LLM_METHODS = ["writeScript", "planSegments"] as const;
const IMAGE_METHODS = ["renderImage"] as const;
/** Image providers that also edit and upscale (the optional capabilities of ImageProvider). */
const EDITING_IMAGE_METHODS = ["renderImage", "editImage", "upscaleImage"] as const;
const CLIP_JOB_METHODS = ["animateImage", "submit", "check", "saveClip"] as const;
const TTS_METHODS = ["synthesize"] as const;

/**
 * A provider whose implementation (and SDK) is imported on its first call, so selecting or merely
 * importing providers stays cheap (the ElevenLabs SDK alone takes seconds to load). `name`,
 * `model`, `statics` and the listed methods are available at once; a failed import is retried on the next call.
 */
function lazy<P extends { readonly name: string; readonly model?: string }>(
  name: string,
  model: string,
  methods: readonly (keyof P & string)[],
  load: () => Promise<P>,
  /** Further properties known before loading, e.g. a clip provider's `pollIntervalSeconds`. */
  statics: Partial<P> = {},
): P {
  let loaded: Promise<P> | undefined;
  const implementation = (): Promise<P> => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
  const provider: Record<string, unknown> = { ...statics, name, model };
  for (const method of methods) {
    provider[method] = async (...args: unknown[]) => {
      const target = await implementation();
      return (target[method] as (...a: unknown[]) => unknown).apply(target, args);
    };
  }
  return provider as P;
}

type Factory<T> = (settings: Settings, model: string | undefined) => T;

/** Factories per provider kind and name. The first name of each kind is its default. */
const FACTORIES: { readonly [K in keyof Providers]: Readonly<Record<string, Factory<Providers[K]>>> } = {
  llm: {
    local: () => createLocalLlm(),
    openai: (s, configured) => {
      const connection = s.openAi();
      const model = resolveModel("llm.openai", configured);
      return lazy<LlmProvider>("openai", model, LLM_METHODS, async () => {
        const [{ createOpenAiClient }, { createOpenAiLlm }] = await Promise.all([
          import("./clients/openai"),
          import("./llm/openai"),
        ]);
        return createOpenAiLlm({ client: createOpenAiClient(connection), model });
      });
    },
  },
  image: {
    local: () => createLocalImage(),
    openai: (s, configured) => {
      const connection = s.openAi();
      const model = resolveModel("image.openai", configured);
      return lazy<ImageProvider>("openai", model, IMAGE_METHODS, async () => {
        const [{ createOpenAiClient }, { createOpenAiImage }] = await Promise.all([
          import("./clients/openai"),
          import("./image/openai"),
        ]);
        return createOpenAiImage({ client: createOpenAiClient(connection), model });
      });
    },
    runway: (s, configured) => {
      const connection = s.runway();
      const model = resolveModel("image.runway", configured);
      return lazy<ImageProvider>("runway", model, IMAGE_METHODS, async () => {
        const [{ createRunwayClient }, { createRunwayImage }] = await Promise.all([
          import("./clients/runway"),
          import("./image/runway"),
        ]);
        return createRunwayImage({ client: createRunwayClient(connection), model });
      });
    },
    fal: (s, configured) => {
      const connection = s.fal();
      const model = resolveModel("image.fal", configured);
      const editModel = resolveModel("image-edit.fal", s.optional("KADR_IMAGE_EDIT_MODEL"));
      const upscaleModel = resolveModel("image-upscale.fal", s.optional("KADR_IMAGE_UPSCALE_MODEL"));
      return lazy<ImageProvider>("fal", model, EDITING_IMAGE_METHODS, async () => {
        const [{ createFal }, { createFalImage }] = await Promise.all([
          import("./clients/fal"),
          import("./image/fal"),
        ]);
        return createFalImage({ client: createFal(connection), model, editModel, upscaleModel });
      });
    },
  },
  video: {
    local: () => createLocalVideo(),
    runway: (s, configured) => {
      const connection = s.runway();
      const model = resolveModel("video.runway", configured);
      return lazy<ClipJobProvider>(
        "runway",
        model,
        CLIP_JOB_METHODS,
        async () => {
          const [{ createRunwayClient }, { createRunwayVideo }] = await Promise.all([
            import("./clients/runway"),
            import("./video/runway"),
          ]);
          return createRunwayVideo({ client: createRunwayClient(connection), model });
        },
        { pollIntervalSeconds: CLIP_POLL_SECONDS.runway },
      );
    },
    veo: (s, configured) => {
      const connection = s.vertex();
      const model = resolveModel("video.veo", configured);
      return lazy<ClipJobProvider>(
        "veo",
        model,
        CLIP_JOB_METHODS,
        async () => {
          const [{ createVertexClient }, { createVeoVideo }] = await Promise.all([
            import("./clients/google"),
            import("./video/veo"),
          ]);
          return createVeoVideo({ client: createVertexClient(connection), flavour: "vertex", model });
        },
        { pollIntervalSeconds: CLIP_POLL_SECONDS.veo },
      );
    },
    "veo-gemini": (s, configured) => {
      const connection = s.gemini();
      const model = resolveModel("video.veo-gemini", configured);
      return lazy<ClipJobProvider>(
        "veo-gemini",
        model,
        CLIP_JOB_METHODS,
        async () => {
          const [{ createGeminiClient }, { createVeoVideo }] = await Promise.all([
            import("./clients/google"),
            import("./video/veo"),
          ]);
          return createVeoVideo({
            client: createGeminiClient(connection),
            flavour: "gemini",
            model,
            apiKey: connection.apiKey,
          });
        },
        { pollIntervalSeconds: CLIP_POLL_SECONDS["veo-gemini"] },
      );
    },
    fal: (s, configured) => {
      const connection = s.fal();
      const model = resolveModel("video.fal", configured);
      return lazy<ClipJobProvider>(
        "fal",
        model,
        CLIP_JOB_METHODS,
        async () => {
          const [{ createFal }, { createFalVideo }] = await Promise.all([
            import("./clients/fal"),
            import("./video/fal"),
          ]);
          return createFalVideo({ client: createFal(connection), model });
        },
        { pollIntervalSeconds: CLIP_POLL_SECONDS.fal },
      );
    },
  },
  tts: {
    local: () => createLocalTts(),
    openai: (s, configured) => {
      const connection = s.openAi();
      const model = resolveModel("tts.openai", configured);
      const voice = s.optional("KADR_TTS_VOICE");
      return lazy<TtsProvider>("openai", model, TTS_METHODS, async () => {
        const [{ createOpenAiClient }, { createOpenAiTts }] = await Promise.all([
          import("./clients/openai"),
          import("./tts/openai"),
        ]);
        return createOpenAiTts({ client: createOpenAiClient(connection), model, voice });
      });
    },
    elevenlabs: (s, configured) => {
      const connection = s.elevenLabs();
      const model = resolveModel("tts.elevenlabs", configured);
      const voice = s.optional("KADR_TTS_VOICE");
      return lazy<TtsProvider>("elevenlabs", model, TTS_METHODS, async () => {
        const { createElevenLabsClient, createElevenLabsTts } = await import("./tts/elevenlabs");
        return createElevenLabsTts({ client: createElevenLabsClient(connection), model, voice });
      });
    },
  },
};

/**
 * True when a video provider splits clips into durable remote jobs (`submit` / `check` /
 * `saveClip`); the local provider renders in one call.
 */
export function isClipJobProvider(provider: VideoProvider): provider is ClipJobProvider {
  const candidate = provider as Partial<ClipJobProvider>;
  return (
    typeof candidate.submit === "function" &&
    typeof candidate.check === "function" &&
    typeof candidate.saveClip === "function"
  );
}

/** Names accepted by each environment variable (default first). */
export const PROVIDER_NAMES: { readonly [K in keyof Providers]: readonly string[] } = {
  llm: Object.keys(FACTORIES.llm),
  image: Object.keys(FACTORIES.image),
  video: Object.keys(FACTORIES.video),
  tts: Object.keys(FACTORIES.tts),
};

function choose<K extends keyof Providers>(
  kind: K,
  env: Env,
  problems?: SettingProblem[],
): Providers[K] | undefined {
  const variable = PROVIDER_VARIABLES[kind];
  const allowed = PROVIDER_NAMES[kind];
  const raw = env[variable]?.trim().toLowerCase();
  const name = raw ? raw : allowed[0]!;
  const factory = Object.hasOwn(FACTORIES[kind], name) ? FACTORIES[kind][name] : undefined;
  if (!factory) {
    if (problems) {
      const problem = `is "${env[variable]}", not a known ${kind} provider (allowed: ${allowed.join(", ")})`;
      problems.push({ setting: variable, selection: `${variable}=${name}`, problem });
      return undefined;
    }
    throw new Error(
      `${variable}="${env[variable]}" is not a known ${kind} provider; allowed values: ${allowed.join(", ")}`,
    );
  }
  return factory(
    new Settings(env, `${variable}=${name}`, problems),
    env[MODEL_VARIABLES[kind]]?.trim() || undefined,
  );
}

/**
 * Every unusable setting of the selected providers at once (getProviders stops at the first):
 * unset or blank credentials (OPENAI_API_KEY for KADR_LLM=openai, …), a key file that does not
 * exist, an unknown provider name. Reads `env` only; calls no provider and loads no SDK.
 *
 * @param env environment to read (default `process.env`).
 * @returns the problems in kind order (llm, image, video, tts); empty when getProviders would succeed.
 */
export function missingProviderSettings(env: Env = process.env): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const kind of Object.keys(PROVIDER_VARIABLES) as (keyof Providers)[]) choose(kind, env, problems);
  return problems;
}

/**
 * Builds the providers from the environment: `KADR_LLM`, `KADR_IMAGE`, `KADR_VIDEO`, `KADR_TTS`
 * (case-insensitive, surrounding spaces ignored; unset or empty means "local"; accepted values in
 * `PROVIDER_NAMES`), models from `KADR_<KIND>_MODEL`, credentials from the SDKs' variables
 * (OPENAI_API_KEY, RUNWAYML_API_SECRET, …; see lib/env.ts).
 *
 * @param env environment to read (default `process.env`).
 * @returns `{ llm, image, video, tts }`, each with a `name` (and a `model` for real providers).
 * @throws Error naming the variable and the allowed values when a variable has an unknown value;
 *   ConfigError naming the missing setting when a selected provider lacks its credentials.
 */
export function getProviders(env: Env = process.env): Providers {
  // Without a problems list choose() throws instead of returning undefined.
  return {
    llm: choose("llm", env)!,
    image: choose("image", env)!,
    video: choose("video", env)!,
    tts: choose("tts", env)!,
  };
}
