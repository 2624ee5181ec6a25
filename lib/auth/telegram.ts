/**
 * The two Telegram proofs of identity Kadr accepts:
 *
 * - Mini App initData (`Authorization: tma <raw initData>`): HMAC-SHA256 over the sorted
 *   `key=value` lines with key HMAC("WebAppData", bot token), checked by
 *   `@tma.js/init-data-node` `validate`, plus a maximum `auth_date` age.
 * - Login Widget data (browser dashboard): HMAC-SHA256 over the sorted `key=value` lines with key
 *   SHA256(bot token), plus a maximum `auth_date` age
 *   (https://core.telegram.org/widgets/login-legacy#checking-authorization).
 *
 * Both answer the Telegram user or throw AppError("unauthorized") saying what was wrong.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { ExpiredError, parse, validate } from "@tma.js/init-data-node";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { TelegramUserInput } from "@/lib/studio/users";

/** A verified Mini App launch: who opened it and the deep link's `startapp` value. */
export interface VerifiedInitData {
  user: TelegramUserInput;
  /** `startapp=<value>` of the link that opened the Mini App, when there was one. */
  startParam: string | undefined;
  /** When Telegram signed the data. */
  authDate: Date;
}

/**
 * Validates raw Mini App initData (the exact query string Telegram passed, never rebuilt).
 * @param maxAgeSeconds oldest accepted `auth_date`, in seconds (> 0).
 * @throws AppError("unauthorized") for a bad or missing hash, an expired `auth_date`, or data
 *   without a user.
 */
export function verifyInitData(raw: string, botToken: string, maxAgeSeconds: number): VerifiedInitData {
  try {
    validate(raw, botToken, { expiresIn: maxAgeSeconds });
  } catch (err) {
    if (ExpiredError.is(err)) {
      throw new AppError("unauthorized", "Telegram init data has expired: reopen the Mini App");
    }
    throw new AppError("unauthorized", "Telegram init data is not signed by this bot");
  }
  let data: ReturnType<typeof parse>;
  try {
    data = parse(raw);
  } catch {
    throw new AppError("unauthorized", "Telegram init data is malformed");
  }
  if (!data.user) throw new AppError("unauthorized", "Telegram init data carries no user");
  return {
    user: {
      id: data.user.id,
      firstName: data.user.first_name,
      lastName: data.user.last_name,
      username: data.user.username,
      languageCode: data.user.language_code,
    },
    startParam: data.start_param || undefined,
    authDate: data.auth_date,
  };
}

/** The fields the Login Widget hands to its callback (or the auth URL's query). */
export const LoginWidgetDataSchema = z
  .object({
    id: z.coerce.number().int().positive(),
    first_name: z.string().min(1),
    last_name: z.string().optional(),
    username: z.string().optional(),
    photo_url: z.string().optional(),
    auth_date: z.coerce.number().int().positive(),
    hash: z.string().regex(/^[0-9a-f]{64}$/i, "hash must be 64 hex digits"),
  })
  .loose();
/** Login Widget data as received: the fields above, numbers possibly as strings. */
export type LoginWidgetData = z.input<typeof LoginWidgetDataSchema>;

/** `key=value` lines of every field but `hash`, sorted by key, joined by `\n`. */
function dataCheckString(fields: Record<string, unknown>): string {
  return Object.keys(fields)
    .filter((key) => key !== "hash" && fields[key] !== undefined && fields[key] !== null)
    .sort()
    .map((key) => `${key}=${String(fields[key])}`)
    .join("\n");
}

/** Clock skew tolerated for an `auth_date` in the future, in seconds. */
const MAX_FUTURE_SKEW_SECONDS = 60;

/**
 * Checks Telegram Login Widget data.
 * @param maxAgeSeconds oldest accepted `auth_date`, in seconds.
 * @param now Unix seconds (defaults to the clock).
 * @throws AppError("unauthorized") for malformed fields, a wrong hash or a stale `auth_date`.
 */
export function verifyLoginWidget(
  input: unknown,
  botToken: string,
  maxAgeSeconds: number,
  now = Math.floor(Date.now() / 1000),
): TelegramUserInput {
  const parsed = LoginWidgetDataSchema.safeParse(input);
  if (!parsed.success) throw new AppError("unauthorized", "Telegram login data is malformed");
  const fields = input as Record<string, unknown>;
  const key = createHash("sha256").update(botToken).digest();
  const expected = Buffer.from(createHmac("sha256", key).update(dataCheckString(fields)).digest("hex"));
  const given = Buffer.from(parsed.data.hash.toLowerCase());
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new AppError("unauthorized", "Telegram login data is not signed by this bot");
  }
  const age = now - parsed.data.auth_date;
  if (age > maxAgeSeconds || age < -MAX_FUTURE_SKEW_SECONDS) {
    throw new AppError("unauthorized", "Telegram login has expired: sign in again");
  }
  return {
    id: parsed.data.id,
    firstName: parsed.data.first_name,
    lastName: parsed.data.last_name,
    username: parsed.data.username,
  };
}

/**
 * Signs Login Widget fields the way Telegram does (for tests and local tooling).
 * @returns the fields with `hash` added.
 */
export function signLoginWidget<T extends Record<string, string | number>>(
  fields: T,
  botToken: string,
): T & { hash: string } {
  const key = createHash("sha256").update(botToken).digest();
  const hash = createHmac("sha256", key).update(dataCheckString(fields)).digest("hex");
  return { ...fields, hash };
}
