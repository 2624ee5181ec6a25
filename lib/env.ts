/**
 * Typed configuration. Every variable Kadr reads is declared here with its default; README's
 * configuration table mirrors this schema. Parsed lazily (first call), so importing a module never
 * fails at load time; `loadEnv()` throws a ZodError-derived `ConfigError` naming the variable.
 */
import { z } from "zod";

/** Treats a blank variable as unset (zod preprocess step shared by every config schema). */
export const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
/** A per-provider call limit: a whole number, 0 meaning none (default 4). */
const concurrencyLimit = z.preprocess(
  emptyAsUndefined,
  z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(4)
    .transform((n) => (n === 0 ? Number.POSITIVE_INFINITY : n)),
);
/** A provider name, case-insensitive and trimmed as `getProviders` reads it; the first is the default. */
const providerChoice = <T extends string>(names: readonly [T, ...T[]]) =>
  z.preprocess(
    (v) => (typeof v === "string" ? emptyAsUndefined(v.trim().toLowerCase()) : v),
    z.enum(names).default(names[0]),
  );

export const envSchema = z.object({
  /** postgres:// URL; unset → embedded PGlite under KADR_DATA_DIR/pglite. */
  DATABASE_URL: optionalString,
  /** Root of local state: PGlite data, media blobs, engine signing key. */
  KADR_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default(".data")),
  /** Orchestration engine: the in-process embedded executor, or a real Inngest server. */
  KADR_ENGINE: z.preprocess(emptyAsUndefined, z.enum(["embedded", "inngest"]).default("embedded")),
  /**
   * How many steps the embedded executor runs at once. Provider calls are limited separately
   * (KADR_<KIND>_CONCURRENCY), so this mostly bounds local work (files, thumbnails, ffmpeg).
   */
  KADR_ENGINE_PARALLELISM: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(64).default(8)),
  /** Calls in flight per provider kind in this process (lib/providers/limits.ts); 0 = no limit. */
  KADR_LLM_CONCURRENCY: concurrencyLimit,
  KADR_IMAGE_CONCURRENCY: concurrencyLimit,
  KADR_VIDEO_CONCURRENCY: concurrencyLimit,
  KADR_TTS_CONCURRENCY: concurrencyLimit,
  /** Steps of one user's runs in flight at once (the functions' `concurrency` key on the user id). */
  KADR_USER_STEP_CONCURRENCY: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(64).default(6),
  ),
  /** ffmpeg backend: auto (native when found, else wasm), native, wasm. */
  KADR_FFMPEG: z.preprocess(emptyAsUndefined, z.enum(["auto", "native", "wasm"]).default("auto")),
  /** Explicit ffmpeg binary; a path that does not exist means "no native ffmpeg". */
  FFMPEG_PATH: optionalString,
  /** Script and prompts provider (lib/providers/index.ts). */
  KADR_LLM: providerChoice(["local", "openai"]),
  /** Still-image provider. */
  KADR_IMAGE: providerChoice(["local", "openai", "runway", "fal"]),
  /** Clip provider: Runway, Veo on Vertex AI, Veo on the Gemini API, fal (Kling). */
  KADR_VIDEO: providerChoice(["local", "runway", "veo", "veo-gemini", "fal"]),
  /** Narration provider. */
  KADR_TTS: providerChoice(["local", "openai", "elevenlabs"]),
  /** Blob storage (lib/storage/index.ts). */
  KADR_STORAGE: providerChoice(["local", "supabase"]),
  /** Model alias or id per stage (lib/providers/models.ts); unset → the provider's default alias. */
  KADR_LLM_MODEL: optionalString,
  KADR_IMAGE_MODEL: optionalString,
  KADR_VIDEO_MODEL: optionalString,
  KADR_TTS_MODEL: optionalString,
  /** Narration voice id of the TTS provider (OpenAI: "coral", "marin", …; ElevenLabs: a voice id). */
  KADR_TTS_VOICE: optionalString,
  /** OpenAI (KADR_LLM/KADR_IMAGE/KADR_TTS=openai); the base URL also points at OpenAI-compatible servers. */
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString,
  /** Runway (KADR_IMAGE/KADR_VIDEO=runway). */
  RUNWAYML_API_SECRET: optionalString,
  RUNWAYML_BASE_URL: optionalString,
  /** Veo on Vertex AI (KADR_VIDEO=veo): project, region, service-account key file, optional endpoint. */
  GOOGLE_CLOUD_PROJECT: optionalString,
  GOOGLE_CLOUD_LOCATION: z.preprocess(emptyAsUndefined, z.string().default("us-central1")),
  GOOGLE_APPLICATION_CREDENTIALS: optionalString,
  GOOGLE_VERTEX_BASE_URL: optionalString,
  /** Veo on the Gemini API (KADR_VIDEO=veo-gemini). */
  GEMINI_API_KEY: optionalString,
  GOOGLE_GEMINI_BASE_URL: optionalString,
  /** fal (KADR_IMAGE/KADR_VIDEO=fal); the base URL replaces https://queue.fal.run (proxies, tests). */
  FAL_KEY: optionalString,
  KADR_FAL_BASE_URL: optionalString,
  /** ElevenLabs (KADR_TTS=elevenlabs). */
  ELEVENLABS_API_KEY: optionalString,
  ELEVENLABS_BASE_URL: optionalString,
  /** Supabase Storage (KADR_STORAGE=supabase): project URL, service-role key, bucket, public or signed URLs. */
  SUPABASE_URL: optionalString,
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  KADR_SUPABASE_BUCKET: z.preprocess(emptyAsUndefined, z.string().default("kadr-media")),
  KADR_SUPABASE_PUBLIC: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).default("false")),
  /** Inngest signing key shared by the executor and serve(); generated into KADR_DATA_DIR when unset. */
  INNGEST_SIGNING_KEY: optionalString,
  INNGEST_EVENT_KEY: optionalString,
  /** Bot token from @BotFather; unset → the Telegram bot is off (everything else works). */
  TELEGRAM_BOT_TOKEN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\d+:[\w-]+$/, "TELEGRAM_BOT_TOKEN must look like 123456:ABC-DEF…")
      .optional(),
  ),
  /** The bot's username (with or without `@`), for t.me deep links. */
  TELEGRAM_BOT_USERNAME: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^@?\w{3,64}$/, "TELEGRAM_BOT_USERNAME must be a bot username")
      .optional(),
  ),
  /** Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1–256 chars of [A-Za-z0-9_-]); the webhook needs it. */
  TELEGRAM_WEBHOOK_SECRET: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
      .optional(),
  ),
  /** Bot API origin: the public Bot API, a local Bot API server or a test fake (no trailing slash). */
  TELEGRAM_API_ROOT: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/, error: "TELEGRAM_API_ROOT must be an http(s) URL" })
      .transform((url) => url.replace(/\/+$/, ""))
      .default("https://api.telegram.org"),
  ),
  /** Public https origin the app (and its Mini App at /tma) is served from; web_app buttons need it. */
  PUBLIC_URL: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/, error: "PUBLIC_URL must be an http(s) URL" })
      .transform((url) => url.replace(/\/+$/, ""))
      .optional(),
  ),
  /** How long a one-time dashboard sign-in link from the bot's /login stays valid, in seconds (1 min – 24 h). */
  KADR_LOGIN_LINK_TTL: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(60).max(86_400).default(600),
  ),
  /** Credits every new Telegram user gets once (a ledger grant). */
  KADR_STARTING_CREDITS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(100)),
  /** Credits of the local owner (no bot configured: you run Kadr for yourself and pay the providers). */
  KADR_LOCAL_OWNER_CREDITS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(100_000)),
  /** Unfinished jobs one user may have at once (0 = no limit; the local owner is never limited). */
  KADR_MAX_ACTIVE_JOBS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(2)),
  /** Jobs one user may start within any hour (0 = no limit). */
  KADR_MAX_JOBS_PER_HOUR: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(10)),
  /** State-changing API requests (POST/PUT/PATCH/DELETE) per minute per IP address (burst = the same; 0 = no limit). */
  KADR_API_WRITES_PER_MINUTE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(60)),
  /**
   * Background music under the narration: "off", "default" (Kadr's synthesized pad) or the path of
   * an audio file; looped, ducked under the voice, mixed to KADR_LOUDNESS_LUFS.
   */
  KADR_MUSIC: z.preprocess(emptyAsUndefined, z.string().default("off")),
  /** Integrated loudness of the final mix in LUFS (EBU R128; −40 to −5); unset = the narration as recorded (−16 with music). */
  KADR_LOUDNESS_LUFS: z.preprocess(emptyAsUndefined, z.coerce.number().min(-40).max(-5).optional()),
  /** How long an approval gate waits for a human before the job expires (Inngest duration: 30m, 24h, 7d). */
  KADR_GATE_TIMEOUT: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[1-9]\d*[smhd]$/, "KADR_GATE_TIMEOUT must be a whole number with s, m, h or d, e.g. 24h")
      .default("24h"),
  ),
});

export type Env = z.infer<typeof envSchema>;

/** Raised for invalid configuration; the message names each bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** One unusable setting of a selected provider or storage (`missingProviderSettings`, `missingStorageSettings`). */
export interface SettingProblem {
  /** The variable to set or fix, e.g. "RUNWAYML_API_SECRET" (or "KADR_VIDEO" for an unknown name). */
  setting: string;
  /** The selection that needs it, e.g. "KADR_VIDEO=runway". */
  selection: string;
  /**
   * What is wrong, phrased to follow the setting's name and never showing a secret value: "is not
   * set", "names a missing file (/path/key.json)", `is "acme", not a known video provider (allowed: …)`.
   */
  problem: string;
}

let cached: Env | undefined;

/**
 * Parses `source` (default `process.env`) against the schema. Results for `process.env` are cached.
 * @throws ConfigError naming every invalid variable and the accepted values.
 */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  if (source === process.env && cached) return cached;
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}
