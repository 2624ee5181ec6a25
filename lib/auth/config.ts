/**
 * Auth configuration, read from the environment once per process:
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `TELEGRAM_BOT_TOKEN` | unset → local single-owner mode (loopback only) | key of initData and Login Widget checks |
 * | `TELEGRAM_BOT_USERNAME` | unset | bot name for the dashboard's Login Widget (without `@`) |
 * | `KADR_SESSION_SECRET` | random per process | HMAC key of Kadr's own session tokens (≥ 16 chars) |
 * | `KADR_SESSION_TTL` | 43200 (12 h) | session lifetime, seconds |
 * | `KADR_INIT_DATA_MAX_AGE` | 86400 (24 h) | oldest accepted Mini App initData (`auth_date`), seconds |
 * | `KADR_LOGIN_MAX_AGE` | 86400 (24 h) | oldest accepted Login Widget `auth_date`, seconds |
 *
 * A random session secret is shared through `globalThis` so every Next.js bundle of one process
 * agrees on it; sessions then die with the process (set the variable to keep them across restarts
 * or across several app instances).
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { emptyAsUndefined, envSchema } from "@/lib/env";

/** What the auth layer needs to know; times in seconds. */
export interface AuthConfig {
  /** Telegram bot token; undefined → local single-owner mode. */
  botToken: string | undefined;
  /** Bot username for the Login Widget (without `@`), when configured. */
  botUsername: string | undefined;
  /** HMAC-SHA256 key of session tokens. */
  sessionSecret: Buffer;
  sessionTtlSeconds: number;
  initDataMaxAgeSeconds: number;
  loginMaxAgeSeconds: number;
}

const seconds = (fallback: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(fallback),
  );

const AuthEnvSchema = z.object({
  // The Telegram variables are declared once, in lib/env.ts.
  TELEGRAM_BOT_TOKEN: envSchema.shape.TELEGRAM_BOT_TOKEN,
  TELEGRAM_BOT_USERNAME: envSchema.shape.TELEGRAM_BOT_USERNAME,
  KADR_SESSION_SECRET: z.preprocess(
    emptyAsUndefined,
    z.string().min(16, "KADR_SESSION_SECRET must have at least 16 characters").optional(),
  ),
  KADR_SESSION_TTL: seconds(12 * 3600),
  KADR_INIT_DATA_MAX_AGE: seconds(86_400),
  KADR_LOGIN_MAX_AGE: seconds(86_400),
});

const secretKey = Symbol.for("kadr.sessionSecret");
type SecretGlobal = typeof globalThis & { [secretKey]?: Buffer };

/** The per-process random session secret (32 bytes), created on first use. */
function processSecret(): Buffer {
  const g = globalThis as SecretGlobal;
  g[secretKey] ??= randomBytes(32);
  return g[secretKey];
}

/**
 * Parses the auth variables of `source` (default `process.env`; not cached, it is cheap).
 * @throws Error naming each invalid variable.
 */
export function loadAuthConfig(source: Record<string, string | undefined> = process.env): AuthConfig {
  const parsed = AuthEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid auth configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  return {
    botToken: env.TELEGRAM_BOT_TOKEN,
    botUsername: env.TELEGRAM_BOT_USERNAME?.replace(/^@/, ""),
    sessionSecret: env.KADR_SESSION_SECRET ? Buffer.from(env.KADR_SESSION_SECRET) : processSecret(),
    sessionTtlSeconds: env.KADR_SESSION_TTL,
    initDataMaxAgeSeconds: env.KADR_INIT_DATA_MAX_AGE,
    loginMaxAgeSeconds: env.KADR_LOGIN_MAX_AGE,
  };
}
