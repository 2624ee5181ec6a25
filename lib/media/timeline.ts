/**
 * Where each segment lands in the final video. Pure: no ffmpeg, safe to import from UI code.
 *
 * Segments play back to back, except at a section boundary (intro→main, main→outro), where the
 * last clip of one section crossfades into the first clip of the next over crossfadeSeconds:
 * every segment after a boundary starts that much earlier than the plain sum of lengths.
 */
import { assertPositiveSeconds, MediaError } from "./errors";

export type Section = "intro" | "main" | "outro";

export interface TimelineClip {
  /** Clip length in seconds. */
  seconds: number;
  section: Section;
}

export interface SegmentSpan {
  /** Where the segment starts in the final video, in seconds (its fade-in, after a boundary). */
  startSeconds: number;
  /** Where it ends, in seconds (its fade-out ends here, before a boundary). */
  endSeconds: number;
}

const SECTION_ORDER: Record<Section, number> = { intro: 0, main: 1, outro: 2 };

/**
 * The span of every clip on the final timeline, in clip order.
 * Final duration = sum(seconds) − crossfadeSeconds × (number of section boundaries).
 * @throws MediaError INVALID_INPUT when sections are out of order (intro, main, outro; any may be
 *   empty), a length is not positive, or a section is too short for the crossfades touching it.
 */
export function segmentTimeline(clips: readonly TimelineClip[], crossfadeSeconds: number): SegmentSpan[] {
  assertCrossfadeFits(sectionGroups(clips), crossfadeSeconds);
  const spans: SegmentSpan[] = [];
  let cursor = 0;
  clips.forEach((clip, index) => {
    if (isBoundary(clips, index)) cursor -= crossfadeSeconds;
    spans.push({ startSeconds: cursor, endSeconds: cursor + clip.seconds });
    cursor += clip.seconds;
  });
  return spans;
}

/** Length in seconds of the final video (0 for no clips). Throws like segmentTimeline. */
export function timelineSeconds(clips: readonly TimelineClip[], crossfadeSeconds: number): number {
  return segmentTimeline(clips, crossfadeSeconds).at(-1)?.endSeconds ?? 0;
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

/** Each section must outlast the crossfades that overlap it (one at each end that has a neighbour). */
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
        `the ${group[0]!.section} section (${seconds} s) is too short for ${neighbours} crossfade(s) of ${crossfadeSeconds} s`,
      );
    }
  });
}
