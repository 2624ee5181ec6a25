import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { assets } from "./assets";
import { jobs } from "./jobs";
import { users } from "./users";

/** Lifecycle of a shared generation: one job producing the result for every identical request. */
export const GENERATION_STATUSES = ["running", "completed", "failed"] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/**
 * Shared generations: a request fingerprint (lib/credits/fingerprint.ts) mapped to the one job
 * that produces its result. The primary key on `fingerprint` is what makes "exactly one
 * generation starts" hold under concurrent identical requests; who asked is recorded in
 * `subscriptions` (job, user, channel). A failed generation is restarted by the next request.
 */
export const generations = pgTable(
  "generations",
  {
    /** Hex sha256 of kind + normalized inputs + options. */
    fingerprint: text("fingerprint").primaryKey(),
    /** What is generated, e.g. "video" or "greeting". */
    kind: text("kind").notNull(),
    /**
     * The producing job. Set in the same transaction that claims the fingerprint, so it is never
     * null in a committed row; deleting the job deletes the generation (the next request restarts).
     */
    jobId: text("job_id").references(() => jobs.id, { onDelete: "cascade" }),
    /** The user whose request started the current attempt. */
    startedBy: uuid("started_by")
      .notNull()
      .references(() => users.id),
    status: text("status").$type<GenerationStatus>().notNull().default("running"),
    /** The finished video, once completed. */
    resultAssetId: uuid("result_asset_id").references(() => assets.id),
    /** Why the last attempt failed. */
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("generations_job_idx").on(t.jobId)],
);

export type Generation = typeof generations.$inferSelect;
