/**
 * Telegram settings, read from the same schema as the rest of Kadr's configuration (lib/env.ts) but
 * parsed on every call: tests and the webhook route may set the variables after the process-wide
 * configuration was first read.
 */
import { envSchema } from "@/lib/env";

/** Everything the bot and the delivery need; present only when a bot token is configured. */
export interface TelegramSettings {
  token: string;
  /** Bot username without `@`, when configured (t.me links). */
  username: string | undefined;
  /** Expected X-Telegram-Bot-Api-Secret-Token of webhook requests; the webhook is off without it. */
  webhookSecret: string | undefined;
  /** Bot API origin without a trailing slash, e.g. "https://api.telegram.org". */
  apiRoot: string;
  /** Public origin of the app without a trailing slash, e.g. "https://kadr.example". */
  publicUrl: string | undefined;
  /** Lifetime of a /login sign-in link, seconds (KADR_LOGIN_LINK_TTL; absent = the bot's default, 600). */
  loginLinkTtlSeconds?: number;
}

const telegramEnvSchema = envSchema.pick({
  TELEGRAM_BOT_TOKEN: true,
  TELEGRAM_BOT_USERNAME: true,
  TELEGRAM_WEBHOOK_SECRET: true,
  TELEGRAM_API_ROOT: true,
  PUBLIC_URL: true,
  KADR_LOGIN_LINK_TTL: true,
});

/**
 * The Telegram settings of `source` (default `process.env`), or undefined when TELEGRAM_BOT_TOKEN is
 * unset (the bot is off).
 * @throws Error naming each invalid TELEGRAM_* / PUBLIC_URL variable.
 */
export function loadTelegramSettings(
  source: Record<string, string | undefined> = process.env,
): TelegramSettings | undefined {
  const parsed = telegramEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid Telegram configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  if (!env.TELEGRAM_BOT_TOKEN) return undefined;
  return {
    token: env.TELEGRAM_BOT_TOKEN,
    username: env.TELEGRAM_BOT_USERNAME?.replace(/^@/, ""),
    webhookSecret: env.TELEGRAM_WEBHOOK_SECRET,
    apiRoot: env.TELEGRAM_API_ROOT,
    publicUrl: env.PUBLIC_URL,
    loginLinkTtlSeconds: env.KADR_LOGIN_LINK_TTL,
  };
}
