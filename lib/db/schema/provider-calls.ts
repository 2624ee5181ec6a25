import { bigserial, index, integer, pgTable, real, text, timestamp } from "drizzle-orm/pg-core";
import { jobs } from "./jobs";

/** How a provider call ended, in Kadr's error classes. */
export type ProviderCallOutcome = "ok" | "retriable" | "auth" | "invalid" | "safety" | "error";

/** Every provider call: what it cost, how long it took and how it ended (spend and audit). */
export const providerCalls = pgTable(
  "provider_calls",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    jobId: text("job_id").references(() => jobs.id, { onDelete: "set null" }),
    /** 0-based segment index for per-segment stages. */
    segmentIndex: integer("segment_index"),
    /** "llm" | "image" | "video" | "tts". */
    stage: text("stage").notNull(),
    provider: text("provider").notNull(),
    model: text("model"),
    /** Billable units (images, seconds of video or speech, tokens) and their kind. */
    units: real("units").notNull().default(0),
    unitKind: text("unit_kind").notNull().default("call"),
    costCredits: integer("cost_credits").notNull().default(0),
    /** Estimated cost in US dollars from the configured price table. */
    costUsd: real("cost_usd").notNull().default(0),
    latencyMs: integer("latency_ms").notNull(),
    outcome: text("outcome").$type<ProviderCallOutcome>().notNull(),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("provider_calls_job_idx").on(t.jobId)],
);

export type ProviderCall = typeof providerCalls.$inferSelect;
