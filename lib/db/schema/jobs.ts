import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { index, integer, jsonb, pgTable, real, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { Script } from "@/lib/storyboard/types";
import { assets } from "./assets";
import { users } from "./users";

/**
 * Lifecycle of a job. `awaiting_*` statuses are the three approval gates; `completed`, `failed`
 * and `cancelled` are final.
 */
export const JOB_STATUSES = [
  "queued",
  "scripting",
  "awaiting_script_approval",
  "planning",
  "rendering_images",
  "awaiting_images_approval",
  "animating",
  "awaiting_clips_approval",
  "narrating",
  "assembling",
  "completed",
  "failed",
  "cancelled",
  "expired",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ["completed", "failed", "cancelled", "expired"];

/** Where a job's script comes from (see `jobs.source`). */
export type JobSource = "topic" | "script" | "extension" | "greeting";

/** One request to produce a video: its inputs, format, status and final asset. */
export const jobs = pgTable(
  "jobs",
  {
    /** Short url-safe id ([A-Za-z0-9_-], ≤ 64 chars) usable in Telegram deep links. */
    id: text("id").primaryKey(),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id),
    /**
     * "topic": Kadr writes the script; "script": the user pasted it; "extension": one new segment
     * crossfaded onto the parent job's video; "greeting": a template filled with a name (no gates).
     */
    source: text("source").$type<JobSource>().notNull(),
    topic: text("topic").notNull(),
    /** The pasted script text, verbatim, when source = "script". */
    scriptText: text("script_text"),
    /** The current script (intro / main / outro), editable until the script gate is approved. */
    script: jsonb("script").$type<Script>(),
    language: text("language").$type<"ru" | "en">().notNull(),
    segmentCount: integer("segment_count").notNull(),
    /** Target duration of one segment, in seconds. */
    segmentSeconds: real("segment_seconds").notNull(),
    aspect: text("aspect").$type<"16:9" | "9:16" | "1:1">().notNull(),
    status: text("status").$type<JobStatus>().notNull().default("queued"),
    styleGuide: text("style_guide"),
    finalAssetId: uuid("final_asset_id").references(() => assets.id),
    parentJobId: text("parent_job_id").references((): AnyPgColumn => jobs.id),
    error: text("error"),
    /** Optimistic-locking counter, bumped on every update. */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (t) => [index("jobs_owner_created_idx").on(t.ownerId, t.createdAt)],
);

export type Job = typeof jobs.$inferSelect;
