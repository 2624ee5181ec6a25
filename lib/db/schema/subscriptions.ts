import { bigint, index, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { jobs } from "./jobs";
import { users } from "./users";

/** Where a subscriber wants the result: a Telegram chat, the dashboard, the CLI. */
export type SubscriptionChannel = "telegram" | "dashboard" | "cli";

/**
 * A request attached to a job: who asked, where to deliver and how far delivery got. Identical
 * requests share one job and add subscriptions (one render, many recipients).
 */
export const subscriptions = pgTable(
  "subscriptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    jobId: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    channel: text("channel").$type<SubscriptionChannel>().notNull(),
    /** Telegram chat to deliver to (channel = telegram). */
    telegramChatId: bigint("telegram_chat_id", { mode: "number" }),
    /** The chat message edited in place with progress. */
    progressMessageId: integer("progress_message_id"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("subscriptions_job_user_channel_unique").on(t.jobId, t.userId, t.channel),
    index("subscriptions_user_idx").on(t.userId),
  ],
);

export type Subscription = typeof subscriptions.$inferSelect;
