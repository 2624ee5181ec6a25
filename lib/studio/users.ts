/**
 * User accounts. A Telegram user is identified by their Telegram id (from validated initData, the
 * Login Widget or a bot update); the local owner exists only when no bot is configured.
 */
import { eq, sql } from "drizzle-orm";
import { ensureStartingGrant } from "@/lib/credits/ledger";
import type { Db } from "@/lib/db";
import { type User, users } from "@/lib/db/schema";
import { loadEnv } from "@/lib/env";

/** The Telegram user fields Kadr keeps (Bot API `User`, https://core.telegram.org/bots/api#user). */
export interface TelegramUserInput {
  /** Telegram user id (up to 52 significant bits). */
  id: number;
  firstName: string;
  lastName?: string;
  username?: string;
  /** IETF language tag from Telegram, e.g. "ru", "en-US"; mapped to "ru" | "en". */
  languageCode?: string;
}

/** "ru" for Russian-speaking clients (ru, uk, be, kk), otherwise "en". */
export function languageFromCode(code: string | undefined): "ru" | "en" {
  return code && /^(ru|uk|be|kk)\b/i.test(code) ? "ru" : "en";
}

/**
 * Creates the user on first sight, or refreshes their name; the language is set on creation only
 * (the user may switch it later). A user gets their starting credits once (ledger key
 * `starting-grant:<id>`; `startingCredits` defaults to KADR_STARTING_CREDITS).
 * @returns the stored user row.
 */
export async function upsertTelegramUser(
  db: Db,
  input: TelegramUserInput,
  startingCredits = loadEnv().KADR_STARTING_CREDITS,
): Promise<User> {
  const displayName =
    [input.firstName, input.lastName].filter(Boolean).join(" ") || input.username || `id${input.id}`;
  const [row] = await db
    .insert(users)
    .values({ telegramId: input.id, displayName, language: languageFromCode(input.languageCode) })
    .onConflictDoUpdate({ target: users.telegramId, set: { displayName: sql`excluded.display_name` } })
    .returning();
  await ensureStartingGrant(db, row!.id, startingCredits);
  return row!;
}

/** The user with this Telegram id, or undefined. */
export async function findTelegramUser(db: Db, telegramId: number): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.telegramId, telegramId));
  return row;
}
