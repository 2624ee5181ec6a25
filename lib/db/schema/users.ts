import { bigint, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** A person using Kadr: a Telegram user, or the single local owner when no bot is configured. */
export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** Telegram user id (64-bit); null for the local owner account. */
  telegramId: bigint("telegram_id", { mode: "number" }).unique(),
  displayName: text("display_name").notNull(),
  /** Interface and default narration language: "ru" | "en". */
  language: text("language").notNull().default("en"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type User = typeof users.$inferSelect;
