/** The signed-in user as the auth routes describe them. */
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { users } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";

/** The body of `GET /api/v1/auth/me` and of the sign-in routes' `user` field. */
export interface UserJson {
  id: string;
  displayName: string;
  /** "ru" | "en": the UI and default narration language. */
  language: string;
  /** Telegram user id; null for the local owner. */
  telegramId: number | null;
}

/**
 * Loads a user by id.
 * @throws AppError("unauthorized") when the user no longer exists (a session outliving its user).
 */
export async function loadUserJson(db: Db, userId: string): Promise<UserJson> {
  const [row] = await db.select().from(users).where(eq(users.id, userId));
  if (!row) throw new AppError("unauthorized", "The signed-in user no longer exists: sign in again");
  return { id: row.id, displayName: row.displayName, language: row.language, telegramId: row.telegramId };
}
