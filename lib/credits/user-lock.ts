/**
 * The per-user lock shared by the credit ledger and the job limits: a row lock on the user
 * (`SELECT … FOR NO KEY UPDATE`), held until the surrounding transaction ends. `NO KEY UPDATE`
 * serializes these callers without blocking inserts that merely reference the user (jobs,
 * ledger entries take `KEY SHARE`). On PGlite transactions run one at a time anyway.
 */
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { users } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";

/**
 * Locks the user's row until the transaction `tx` ends (outside a transaction it locks nothing
 * lasting, but still checks the user exists).
 * @throws AppError("not_found") for an unknown user.
 */
export async function lockUser(tx: Db, userId: string): Promise<void> {
  const [user] = await tx
    .select({ id: users.id })
    .from(users)
    .where(eq(users.id, userId))
    .for("no key update");
  if (!user) throw new AppError("not_found", `No user ${userId}`);
}
