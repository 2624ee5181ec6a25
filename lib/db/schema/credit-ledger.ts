import { bigserial, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { jobs } from "./jobs";
import { users } from "./users";

export type CreditEntryKind = "grant" | "reserve" | "capture" | "release" | "refund";

/**
 * Append-only credit ledger: the balance is the sum of entries, never a column. Every entry has a
 * unique idempotency key so a retried step never books twice.
 */
export const creditLedger = pgTable(
  "credit_ledger",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    jobId: text("job_id").references(() => jobs.id, { onDelete: "set null" }),
    kind: text("kind").$type<CreditEntryKind>().notNull(),
    /** Signed amount in credits (reservations negative, releases positive). */
    amount: integer("amount").notNull(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Balances sum a user's entries; settling a job lists its reservations.
  (t) => [index("credit_ledger_user_idx").on(t.userId), index("credit_ledger_job_idx").on(t.jobId)],
);
