/**
 * Storyboard shapes shared by the planner, the providers and the pipeline.
 *
 * Every shape exists twice: as a zod 4 schema (to validate JSON coming from an LLM, the database or an
 * HTTP body) and as the TypeScript type inferred from it. Times are in seconds.
 */
import { z } from "zod";

/** The three parts of every video, in the ratio 1:2:1 (see `sectionCounts`). */
export const SectionSchema = z.enum(["intro", "main", "outro"]);
/** `"intro" | "main" | "outro"`. */
export type Section = z.infer<typeof SectionSchema>;

/** Every section in narration order. */
export const SECTIONS: readonly Section[] = ["intro", "main", "outro"] as const;

/** Narration language (script text, TTS voice, words-per-second estimate). */
export const LanguageSchema = z.enum(["ru", "en"]);
/** `"ru" | "en"`. */
export type Language = z.infer<typeof LanguageSchema>;

/** A narration script: a title and the spoken text of each section (any section may be `""`). */
export const ScriptSchema = z.object({
  title: z.string(),
  sections: z.object({ intro: z.string(), main: z.string(), outro: z.string() }),
});
/** `{ title: string; sections: { intro: string; main: string; outro: string } }`. */
export type Script = z.infer<typeof ScriptSchema>;

/** One planned segment of the video: its narration, caption, timing and generation prompts. */
export const PlannedSegmentSchema = z.object({
  /** 0-based position in the whole video. */
  index: z.number().int().nonnegative(),
  section: SectionSchema,
  /** Text spoken during this segment (never empty). */
  narration: z.string().min(1),
  /** Short on-screen caption (≤ ~60 chars). */
  caption: z.string(),
  /** Start of the segment on the video timeline, in seconds. */
  startSeconds: z.number().nonnegative(),
  /** Duration of the segment, in seconds. */
  seconds: z.number().positive(),
  /** Prompt for the still image of this segment. */
  imagePrompt: z.string().min(1),
  /** Camera motion for the clip, e.g. "slow zoom in", "pan left". */
  motionPrompt: z.string().min(1),
});
/**
 * `{ index; section; narration; caption; startSeconds; seconds; imagePrompt; motionPrompt }` —
 * `startSeconds` and `seconds` in seconds.
 */
export type PlannedSegment = z.infer<typeof PlannedSegmentSchema>;
