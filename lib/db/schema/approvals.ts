import { pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { jobs } from "./jobs";

/** The three human approval gates of the pipeline, in order. */
export const GATES = ["script", "images", "clips"] as const;
export type Gate = (typeof GATES)[number];

/** A decision taken at a gate: who approved (or rejected) what, and when. */
export const approvals = pgTable(
  "approvals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    jobId: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    gate: text("gate").$type<Gate>().notNull(),
    decision: text("decision").$type<"approved" | "rejected">().notNull(),
    /** Who decided: "cli", "user:<uuid>", "telegram:<id>". */
    actor: text("actor").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("approvals_job_gate_unique").on(t.jobId, t.gate)],
);

export type Approval = typeof approvals.$inferSelect;
