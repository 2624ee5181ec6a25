import { integer, pgTable, real, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import type { Section } from "@/lib/storyboard/types";
import { assets } from "./assets";
import { jobs } from "./jobs";

/** Progress of one segment's image or clip. */
export type MediaStatus = "pending" | "ready" | "failed";

/** One ~S-second shot of a job: its narration, prompts and produced media. */
export const segments = pgTable(
  "segments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    jobId: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    /** 0-based position in the video. */
    index: integer("index").notNull(),
    section: text("section").$type<Section>().notNull(),
    narration: text("narration").notNull(),
    caption: text("caption").notNull(),
    /** Planned start on the storyboard timeline and length, in seconds. */
    startSeconds: real("start_seconds").notNull(),
    seconds: real("seconds").notNull(),
    imagePrompt: text("image_prompt").notNull(),
    imageStatus: text("image_status").$type<MediaStatus>().notNull().default("pending"),
    imageAssetId: uuid("image_asset_id").references(() => assets.id),
    /** Why the last image attempt failed (provider refusal, invalid request); null when fine. */
    imageError: text("image_error"),
    /** Bumped by each image regeneration; part of the image's seed, so a retake differs. */
    imageVariation: integer("image_variation").notNull().default(0),
    motionPrompt: text("motion_prompt").notNull(),
    clipStatus: text("clip_status").$type<MediaStatus>().notNull().default("pending"),
    clipAssetId: uuid("clip_asset_id").references(() => assets.id),
    /** Why the last clip attempt failed; null when fine. */
    clipError: text("clip_error"),
    /** Bumped by each clip regeneration; part of the motion seed. */
    clipVariation: integer("clip_variation").notNull().default(0),
    narrationAssetId: uuid("narration_asset_id").references(() => assets.id),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("segments_job_index_unique").on(t.jobId, t.index)],
);

export type Segment = typeof segments.$inferSelect;
