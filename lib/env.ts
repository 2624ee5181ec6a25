/**
 * Typed configuration. Every variable Kadr reads is declared here with its default; README's
 * configuration table mirrors this schema. Parsed lazily (first call), so importing a module never
 * fails at load time; `loadEnv()` throws a ZodError-derived `ConfigError` naming the variable.
 */
import { z } from "zod";

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

export const envSchema = z.object({
  /** postgres:// URL; unset → embedded PGlite under KADR_DATA_DIR/pglite. */
  DATABASE_URL: optionalString,
  /** Root of local state: PGlite data, media blobs, engine signing key. */
  KADR_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default(".data")),
  /** Orchestration engine: the in-process embedded executor, or a real Inngest server. */
  KADR_ENGINE: z.preprocess(emptyAsUndefined, z.enum(["embedded", "inngest"]).default("embedded")),
  /** How many steps the embedded executor runs at once. */
  KADR_ENGINE_PARALLELISM: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(64).default(4)),
  /** ffmpeg backend: auto (native when found, else wasm), native, wasm. */
  KADR_FFMPEG: z.preprocess(emptyAsUndefined, z.enum(["auto", "native", "wasm"]).default("auto")),
  /** Explicit ffmpeg binary; a path that does not exist means "no native ffmpeg". */
  FFMPEG_PATH: optionalString,
  KADR_LLM: z.preprocess(emptyAsUndefined, z.enum(["local"]).default("local")),
  KADR_IMAGE: z.preprocess(emptyAsUndefined, z.enum(["local"]).default("local")),
  KADR_VIDEO: z.preprocess(emptyAsUndefined, z.enum(["local"]).default("local")),
  KADR_TTS: z.preprocess(emptyAsUndefined, z.enum(["local"]).default("local")),
  KADR_STORAGE: z.preprocess(emptyAsUndefined, z.enum(["local"]).default("local")),
  /** Inngest signing key shared by the executor and serve(); generated into KADR_DATA_DIR when unset. */
  INNGEST_SIGNING_KEY: optionalString,
  INNGEST_EVENT_KEY: optionalString,
});

export type Env = z.infer<typeof envSchema>;

/** Raised for invalid configuration; the message names each bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
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
