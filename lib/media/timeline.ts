/**
 * Where each segment lands in the final video. Pure: no ffmpeg, safe to import from UI code.
 *
 * Segments play back to back, except where a transition joins them: with scope "sections" (the
 * default) at each section boundary (intro→main, main→outro), with scope "all" between every pair
 * of segments. There the outgoing clip crossfades into the next over crossfadeSeconds, so every
 * segment after a transition starts that much earlier than the plain sum of lengths.
 */
import { assertPositiveSeconds, MediaError } from "./errors";

export type Section = "intro" | "main" | "outro";

/** Where crossfades go: at section boundaries only, or between every pair of segments. */
export type TransitionScope = "sections" | "all";

export interface TimelineClip {
  /** Clip length in seconds. */
  seconds: number;
  section: Section;
}

export interface SegmentSpan {
  /** Where the segment starts in the final video, in seconds (its fade-in, after a transition). */
  startSeconds: number;
  /** Where it ends, in seconds (its fade-out ends here, before a transition). */
  endSeconds: number;
}

const SECTION_ORDER: Record<Section, number> = { intro: 0, main: 1, outro: 2 };

/**
 * The span of every clip on the final timeline, in clip order.
 * Final duration = sum(seconds) − crossfadeSeconds × (number of transitions).
 * @throws MediaError INVALID_INPUT when sections are out of order (intro, main, outro; any may be
 *   empty), a length is not positive, or a run of clips between transitions is too short for the
 *   crossfades touching it.
 */
export function segmentTimeline(
  clips: readonly TimelineClip[],
  crossfadeSeconds: number,
  scope: TransitionScope = "sections",
): SegmentSpan[] {
  assertCrossfadeFits(transitionGroups(clips, scope), crossfadeSeconds);
  const spans: SegmentSpan[] = [];
  let cursor = 0;
  clips.forEach((clip, index) => {
    if (hasTransitionBefore(clips, index, scope)) cursor -= crossfadeSeconds;
    spans.push({ startSeconds: cursor, endSeconds: cursor + clip.seconds });
    cursor += clip.seconds;
  });
  return spans;
}

/** Length in seconds of the final video (0 for no clips). Throws like segmentTimeline. */
export function timelineSeconds(
  clips: readonly TimelineClip[],
  crossfadeSeconds: number,
  scope: TransitionScope = "sections",
): number {
  return segmentTimeline(clips, crossfadeSeconds, scope).at(-1)?.endSeconds ?? 0;
}

/**
 * Clips split into the runs that play back to back between transitions: runs of one section for
 * scope "sections", one clip per run for "all".
 * @throws MediaError INVALID_INPUT on out-of-order sections or a non-positive clip length.
 */
export function transitionGroups<T extends TimelineClip>(clips: readonly T[], scope: TransitionScope): T[][] {
  const groups = sectionGroups(clips);
  return scope === "sections" ? groups : clips.map((clip) => [clip]);
}

/** True when clip `index` starts with a crossfade from the clip before it. */
export function hasTransitionBefore(
  clips: readonly TimelineClip[],
  index: number,
  scope: TransitionScope,
): boolean {
  return index > 0 && (scope === "all" || isBoundary(clips, index));
}

/**
 * Clips split into runs of one section, in order (empty sections produce no run).
 * @throws MediaError INVALID_INPUT on out-of-order sections or a non-positive clip length.
 */
export function sectionGroups<T extends TimelineClip>(clips: readonly T[]): T[][] {
  const groups: T[][] = [];
  clips.forEach((clip, index) => {
    assertPositiveSeconds(clip.seconds, `clip ${index} length`);
    const previous = clips[index - 1];
    if (previous && SECTION_ORDER[clip.section] < SECTION_ORDER[previous.section]) {
      throw new MediaError(
        "INVALID_INPUT",
        `clip ${index} (${clip.section}) comes after ${previous.section}`,
      );
    }
    if (isBoundary(clips, index) || index === 0) groups.push([clip]);
    else groups.at(-1)!.push(clip);
  });
  return groups;
}

/** True when clip `index` opens a section that follows another section. */
function isBoundary(clips: readonly TimelineClip[], index: number): boolean {
  const previous = clips[index - 1];
  return previous !== undefined && previous.section !== clips[index]!.section;
}

/** Each run must outlast the crossfades that overlap it (one at each end that has a neighbour). */
function assertCrossfadeFits(groups: TimelineClip[][], crossfadeSeconds: number): void {
  if (!(Number.isFinite(crossfadeSeconds) && crossfadeSeconds >= 0)) {
    throw new MediaError("INVALID_INPUT", `crossfade must be ≥ 0 seconds (got ${crossfadeSeconds})`);
  }
  groups.forEach((group, index) => {
    const neighbours = (index > 0 ? 1 : 0) + (index < groups.length - 1 ? 1 : 0);
    const seconds = group.reduce((sum, clip) => sum + clip.seconds, 0);
    if (seconds <= crossfadeSeconds * neighbours) {
      throw new MediaError(
        "INVALID_INPUT",
        `${group.length} ${group[0]!.section} clip(s) between transitions (${seconds} s) are too short for ${neighbours} crossfade(s) of ${crossfadeSeconds} s`,
      );
    }
  });
}
