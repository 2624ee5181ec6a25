/**
 * The script-and-prompts provider (an LLM in production, a deterministic planner locally).
 */
import type { Language, PlannedSegment, Script } from "@/lib/storyboard/types";

export { scriptFromText } from "@/lib/storyboard/script";

/** Input of `LlmProvider.writeScript`. */
export interface WriteScriptInput {
  /** What the video is about, e.g. "Как варят кофе" (non-blank). */
  topic: string;
  language: Language;
  /** Number of segments of the video, an integer ≥ 1. */
  segmentCount: number;
  /** Duration of each segment in seconds, > 0. The script's spoken length should fit segmentCount × segmentSeconds. */
  segmentSeconds: number;
}

/** Input of `LlmProvider.planSegments`. */
export interface PlanSegmentsInput {
  /** The approved script. */
  script: Script;
  language: Language;
  /** Number of segments to plan, an integer ≥ 1. */
  segmentCount: number;
  /** Duration of each segment in seconds, > 0. */
  segmentSeconds: number;
  /** Visual style applied to every image prompt, e.g. "watercolor, warm light". */
  styleGuide?: string;
}

/**
 * Writes scripts and plans segments (narration per segment, captions, image and motion prompts).
 * Implementations throw `RangeError` on invalid input (blank topic, segmentCount not an integer ≥ 1,
 * segmentSeconds not > 0, a script with fewer words than segments) and their own errors on
 * transport failures.
 */
export interface LlmProvider {
  /** Provider id as selected by `KADR_LLM`, e.g. "local". */
  readonly name: string;
  /** Resolved model id of real providers (see models.ts), e.g. "gpt-5-mini"; absent for local. */
  readonly model?: string;
  /** Writes a script whose spoken length fits `segmentCount × segmentSeconds` seconds. */
  writeScript(input: WriteScriptInput): Promise<Script>;
  /**
   * Plans exactly `segmentCount` segments, sections in the ratio 1:2:1 (see `allocateSegments`),
   * `startSeconds = index × segmentSeconds`, `seconds = segmentSeconds`, non-empty prompts.
   */
  planSegments(input: PlanSegmentsInput): Promise<PlannedSegment[]>;
}
