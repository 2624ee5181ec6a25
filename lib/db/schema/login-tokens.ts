import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * One-time dashboard sign-in links the bot sends on /login (lib/auth/login-links.ts). Only the
 * SHA-256 of a token is stored, so the table alone cannot sign anyone in. A token is redeemed by
 * one `UPDATE … SET used_at … WHERE used_at IS NULL AND expires_at > now RETURNING`, which makes it
 * single-use under concurrent redeems. Rows are pruned a day after they expire.
 */
export const loginTokens = pgTable(
  "login_tokens",
  {
    /** Lowercase hex SHA-256 of the token's base64url text. */
    tokenHash: text("token_hash").primaryKey(),
    /** Whom the link signs in; deleting the user deletes their links. */
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** After this instant the link is refused (default: 10 minutes after `createdAt`). */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** When the link was redeemed; null while unused. */
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("login_tokens_expires_at_idx").on(t.expiresAt)],
);

export type LoginToken = typeof loginTokens.$inferSelect;
