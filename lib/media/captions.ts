/**
 * Captions from segment texts: timed on the final timeline (segmentTimeline), written as WebVTT.
 * Pure: no ffmpeg, safe to import from UI code. assembleVideo embeds the file as a soft subtitle
 * track (mov_text) or burns it in.
 *
 * Cues follow common subtitle guidelines: at most 2 lines of at most 42 characters, so a long
 * segment text becomes several cues that share the segment's time in proportion to their length.
 * WebVTT format: https://www.w3.org/TR/webvtt1/
 */
import { MediaError } from "./errors";
import { segmentTimeline, type TimelineClip, type TransitionScope } from "./timeline";

export interface CaptionCue {
  /** When the cue appears on the final timeline, in seconds (≥ 0). */
  startSeconds: number;
  /** When it disappears, in seconds (> startSeconds). */
  endSeconds: number;
  /** Plain text; "\n" separates lines. */
  text: string;
}

export interface CaptionLayout {
  /** Longest line in characters (default 42). */
  maxLineChars?: number;
  /** Most lines in one cue (default 2). */
  maxLines?: number;
}

const DEFAULT_MAX_LINE_CHARS = 42;
const DEFAULT_MAX_LINES = 2;

/**
 * Cues for per-segment texts: `texts[i]` is spoken over clip i ("" or whitespace = no cue). A
 * segment's captions run from its start on the final timeline (segmentTimeline: after a transition
 * it starts with the crossfade, like its narration) to the start of the next segment (or its own
 * end for the last one), so cues never overlap. Times are rounded to milliseconds.
 * @throws MediaError INVALID_INPUT when the lists differ in length, or as segmentTimeline does.
 */
export function captionCues(
  texts: readonly string[],
  clips: readonly TimelineClip[],
  crossfadeSeconds: number,
  scope: TransitionScope = "sections",
  layout: CaptionLayout = {},
): CaptionCue[] {
  if (texts.length !== clips.length) {
    throw new MediaError("INVALID_INPUT", `${texts.length} caption texts for ${clips.length} clips`);
  }
  const spans = segmentTimeline(clips, crossfadeSeconds, scope);
  return spans.flatMap((span, index) => {
    const endSeconds = spans[index + 1]?.startSeconds ?? span.endSeconds;
    return splitIntoCues(texts[index]!, span.startSeconds, endSeconds, layout);
  });
}

/**
 * The WebVTT file for `cues` ("WEBVTT" header, one block per cue, `hh:mm:ss.mmm` times, `&`, `<`
 * and `>` escaped so text never reads as markup or as a cue timing arrow).
 * @throws MediaError INVALID_INPUT for a cue with a negative start, an end not after its start,
 *   or empty text.
 */
export function webVtt(cues: readonly CaptionCue[]): string {
  const blocks = cues.map((cue, index) => {
    assertValidCue(cue, index);
    const lines = cue.text.split("\n").map(escapeCueText).join("\n");
    return `${vttTimestamp(cue.startSeconds)} --> ${vttTimestamp(cue.endSeconds)}\n${lines}\n`;
  });
  return ["WEBVTT\n", ...blocks].join("\n");
}

/**
 * The cues of a WebVTT file (the header block, NOTE/STYLE/REGION blocks and cue identifiers are
 * skipped; cue settings after the end time are ignored; &amp; &lt; &gt; unescaped). Times accept
 * both "mm:ss.mmm" and "hh:mm:ss.mmm".
 * @throws MediaError INVALID_INPUT when the text does not start with "WEBVTT".
 */
export function parseWebVtt(vtt: string): CaptionCue[] {
  const blocks = vtt
    .replace(/^\uFEFF/, "")
    .replaceAll("\r\n", "\n")
    .split(/\n{2,}/);
  if (!blocks[0]?.startsWith("WEBVTT")) throw new MediaError("INVALID_INPUT", "not a WebVTT file");
  return blocks.slice(1).flatMap((block) => {
    const lines = block.split("\n").filter((line) => line.trim() !== "");
    const timingIndex = lines.findIndex((line) => line.includes("-->"));
    if (timingIndex < 0 || timingIndex > 1) return [];
    const [start = "", rest = ""] = lines[timingIndex]!.split("-->");
    const end = rest.trim().split(/\s+/)[0] ?? "";
    const text = lines
      .slice(timingIndex + 1)
      .map(unescapeCueText)
      .join("\n");
    return [{ startSeconds: vttSeconds(start.trim()), endSeconds: vttSeconds(end), text }];
  });
}

/** Wraps `text` into lines, groups them into cues and shares [start, end) by character count. */
function splitIntoCues(
  text: string,
  startSeconds: number,
  endSeconds: number,
  { maxLineChars = DEFAULT_MAX_LINE_CHARS, maxLines = DEFAULT_MAX_LINES }: CaptionLayout,
): CaptionCue[] {
  const lines = wrapLines(text, maxLineChars);
  const groups: string[][] = [];
  for (let index = 0; index < lines.length; index += maxLines)
    groups.push(lines.slice(index, index + maxLines));
  const totalChars = lines.reduce((sum, line) => sum + line.length, 0);
  let charsBefore = 0;
  return groups.map((group) => {
    const cueStart = startSeconds + ((endSeconds - startSeconds) * charsBefore) / totalChars;
    charsBefore += group.reduce((sum, line) => sum + line.length, 0);
    const cueEnd = startSeconds + ((endSeconds - startSeconds) * charsBefore) / totalChars;
    return { startSeconds: roundMs(cueStart), endSeconds: roundMs(cueEnd), text: group.join("\n") };
  });
}

/** Greedy word wrap; a word longer than maxLineChars gets a line of its own. */
function wrapLines(text: string, maxLineChars: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= maxLineChars)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

function assertValidCue(cue: CaptionCue, index: number): void {
  const timesOk =
    Number.isFinite(cue.startSeconds) && cue.startSeconds >= 0 && cue.endSeconds > cue.startSeconds;
  if (!timesOk || cue.text.trim() === "") {
    throw new MediaError(
      "INVALID_INPUT",
      `caption cue ${index} needs 0 ≤ start < end and text (got ${cue.startSeconds}–${cue.endSeconds} s, "${cue.text}")`,
    );
  }
}

function escapeCueText(line: string): string {
  return line.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function unescapeCueText(line: string): string {
  return line.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** "01:02.500" or "00:01:02.500" → 62.5. */
function vttSeconds(timestamp: string): number {
  return timestamp.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

/** 83.5 → "00:01:23.500". */
function vttTimestamp(seconds: number): string {
  const totalMs = Math.round(seconds * 1000);
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor(totalMs / 60_000) % 60;
  const wholeSeconds = Math.floor(totalMs / 1000) % 60;
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(hours)}:${pad(minutes)}:${pad(wholeSeconds)}.${pad(totalMs % 1000, 3)}`;
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
