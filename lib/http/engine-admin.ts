/**
 * Who may see and steer the embedded executor's runs (the Runs page): the local owner in
 * single-owner mode, and Telegram users listed in KADR_ADMIN_TELEGRAM_IDS (comma-separated ids).
 * Runs hold every user's events, so nobody else may read them.
 */
import { eq } from "drizzle-orm";
import { installedExecutor } from "@/inngest/embedded/bridge";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import type { Principal } from "@/lib/auth/authenticate";
import type { Db } from "@/lib/db";
import { users } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";

/** Telegram ids allowed to administer the engine, from KADR_ADMIN_TELEGRAM_IDS. */
export function adminTelegramIds(env: Record<string, string | undefined> = process.env): Set<number> {
  return new Set(
    (env.KADR_ADMIN_TELEGRAM_IDS ?? "")
      .split(",")
      .map((id) => Number(id.trim()))
      .filter((id) => Number.isSafeInteger(id) && id > 0),
  );
}

/** @throws AppError("forbidden") unless the caller administers the engine. */
export async function assertEngineAdmin(db: Db, principal: Principal): Promise<void> {
  if (principal.method === "local") return;
  const [user] = await db
    .select({ telegramId: users.telegramId })
    .from(users)
    .where(eq(users.id, principal.userId));
  if (user?.telegramId && adminTelegramIds().has(user.telegramId)) return;
  throw new AppError("forbidden", "Only Kadr's administrators can see the engine's runs");
}

/**
 * The embedded executor running in this process.
 * @throws AppError("conflict") when none runs here (KADR_ENGINE=inngest: use Inngest's dashboard).
 */
export function requireExecutor(): EmbeddedExecutor {
  const executor = installedExecutor();
  if (!executor || !("cancelRun" in executor)) {
    throw new AppError("conflict", "No embedded executor runs in this process (KADR_ENGINE=inngest?)");
  }
  return executor as EmbeddedExecutor;
}
