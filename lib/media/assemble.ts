/**
 * Final assembly: normalized clips in order, a crossfade at each section boundary (intro→main,
 * main→outro), the narration track underneath. Final duration = sum(seconds) − crossfadeSeconds ×
 * (number of boundaries), as segmentTimeline computes.
 *
 * Smart render (assembleVideo): the clips already share one encoder configuration, no B-frames and
 * a keyframe every gopSeconds (encoding.ts), so runs of clips are stream-copied with the concat
 * demuxer (https://ffmpeg.org/ffmpeg-formats.html#concat-1, inpoint/outpoint) and only a short
 * window at each boundary is re-encoded with xfade (https://ffmpeg.org/ffmpeg-filters.html#xfade):
 * from the fade start in the outgoing clip (a copy may stop at any frame, since without B-frames
 * every frame decodes from earlier ones) to the first keyframe at or after the fade end in the
 * incoming clip (a copy must start at a keyframe): 1 s per boundary for 0.5 s fades and 1 s GOPs.
 * Cost grows with the number of transitions, not with the video's length.
 *
 * Crossfades are rounded to whole frames (0.5 s is 12 frames at 24 fps, 13 at 25 fps).
 *
 * Full render (assembleFull): one filter graph (concat filter per section, xfade between them),
 * everything re-encoded. The reference the smart path must match, and its fallback.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { frameCount, MP4_ARGS, videoEncodeArgs } from "./encoding";
import { MediaError } from "./errors";
import { type FfmpegBackend, getFfmpegBackend, runFfmpeg } from "./ffmpeg";
import { type Mp4VideoTrack, readMp4VideoTrack } from "./mp4";
import { probeMedia } from "./probe";
import type { VideoProfile } from "./profile";
import { sectionGroups, type TimelineClip, timelineSeconds } from "./timeline";

export interface AssemblyClip extends TimelineClip {
  /** Absolute path of a clip normalized to `profile` (normalizeClip or renderKenBurnsClip). */
  path: string;
}

export interface AssembleOptions {
  /** Clips in playback order, sections in order intro, main, outro (any may be empty). */
  clips: AssemblyClip[];
  /** Absolute path of the narration track (encodeNarration), timed to the final timeline. */
  narrationPath: string;
  /** Crossfade length at each section boundary in seconds (default 0.5; 0 = hard cuts). */
  crossfadeSeconds?: number;
  profile: VideoProfile;
  /** Absolute path of the MP4 to write. */
  outPath: string;
}

export interface AssembleResult {
  /** Duration of the written file in seconds (ffprobe). */
  durationSeconds: number;
  /** "smart" when transitions alone were re-encoded, "full" when everything was. */
  mode: "smart" | "full";
  /** Why the smart path handed over to the full render, when it did. */
  fallbackReason?: string;
}

const DEFAULT_CROSSFADE_SECONDS = 0.5;
/** Tolerance for comparing times in seconds: well under one frame. */
const EPSILON = 1e-6;

/** One stretch of a file on the output timeline: [inSeconds, outSeconds) of `path`. */
interface Piece {
  path: string;
  inSeconds: number;
  outSeconds: number;
}

/** A re-encoded window: `from` from fromSeconds to its end, crossfaded into the first `seconds` of `to`. */
interface Transition {
  from: AssemblyClip;
  to: AssemblyClip;
  fromSeconds: number;
  /** Length of the window in seconds: the incoming clip's copy resumes at this keyframe. */
  seconds: number;
  outPath: string;
}

interface SmartPlan {
  pieces: Piece[];
  transitions: Transition[];
}

/**
 * Assembles with the smart render; falls back to assembleFull (and says why) when the clips cannot
 * be cut exactly (a boundary clip too short for its keyframe window) or do not share the profile's
 * stream parameters (size, fps, H.264 parameter sets — checked on the clips at boundaries).
 * Output: H.264 yuv420p from the clips, the narration's AAC stream-copied, MP4 +faststart.
 * @throws MediaError INVALID_INPUT (see segmentTimeline), FFMPEG_FAILED, FFMPEG_TIMEOUT.
 */
export async function assembleVideo(options: AssembleOptions): Promise<AssembleResult> {
  const crossfadeSeconds = crossfadeInFrames(options);
  const workDir = await mkdtemp(path.join(tmpdir(), "kadr-assemble-"));
  try {
    const fallbackReason = await smartRender(options, crossfadeSeconds, workDir);
    if (fallbackReason === null) {
      return { durationSeconds: (await probeMedia(options.outPath)).durationSeconds, mode: "smart" };
    }
    return { ...(await assembleFull(options)), mode: "full", fallbackReason };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Assembles by re-encoding everything in one filter graph: the clips of each section joined with
 * the concat filter, sections joined with xfade (transition=fade) of crossfadeSeconds; narration
 * stream-copied. Slow (all clips decoded and encoded) but needs nothing from the clips beyond
 * equal size and fps.
 * @throws MediaError INVALID_INPUT (see segmentTimeline), FFMPEG_FAILED, FFMPEG_TIMEOUT.
 */
export async function assembleFull(options: AssembleOptions): Promise<{ durationSeconds: number }> {
  const { clips, narrationPath, profile, outPath } = options;
  const crossfadeSeconds = crossfadeInFrames(options);
  const totalSeconds = outputSeconds(clips, crossfadeSeconds);
  const groups = crossfadeSeconds > 0 ? sectionGroups(clips) : [clips];
  const inputs = [...clips.map((clip) => clip.path), narrationPath];
  // biome-ignore format: one option/value pair per line
  const args = [
    ...inputs.flatMap((input) => ["-i", input]),
    "-filter_complex", fullRenderGraph(groups, crossfadeSeconds),
    "-map", "[video]", "-map", `${clips.length}:a:0`,
    ...videoEncodeArgs(profile, await getFfmpegBackend()),
    "-c:a", "copy",
    "-t", String(totalSeconds),
    ...MP4_ARGS,
    outPath,
  ];
  await runFfmpeg(args, { inputs, outputs: [outPath] });
  return { durationSeconds: (await probeMedia(outPath)).durationSeconds };
}

/** `[i:v]…concat[gK]` per section, then `[acc][gK]xfade=…:offset=<acc length − fade>` left to right. */
function fullRenderGraph(groups: AssemblyClip[][], crossfadeSeconds: number): string {
  let inputIndex = 0;
  const joins = groups.map((group, groupIndex) => {
    const labels = group.map(() => `[${inputIndex++}:v]`).join("");
    return `${labels}concat=n=${group.length}:v=1:a=0,settb=AVTB[g${groupIndex}]`;
  });
  let accumulated = "g0";
  let accumulatedSeconds = sumSeconds(groups[0] ?? []);
  const fades = groups.slice(1).map((group, index) => {
    const label = `x${index + 1}`;
    const offset = accumulatedSeconds - crossfadeSeconds;
    const fade = `[${accumulated}][g${index + 1}]xfade=transition=fade:duration=${crossfadeSeconds}:offset=${offset}[${label}]`;
    accumulated = label;
    accumulatedSeconds += sumSeconds(group) - crossfadeSeconds;
    return fade;
  });
  return [...joins, ...fades, `[${accumulated}]null[video]`].join(";");
}

/** Writes the smart render to options.outPath; returns null, or why it cannot (nothing written). */
async function smartRender(
  options: AssembleOptions,
  crossfadeSeconds: number,
  workDir: string,
): Promise<string | null> {
  const totalSeconds = outputSeconds(options.clips, crossfadeSeconds);
  const plan = planSmartRender(options.clips, crossfadeSeconds, options.profile, workDir);
  if (typeof plan === "string") return plan;
  const clips = await readVideoTracks(options.clips.map((clip) => clip.path));
  const problem =
    incompatibility(clips, options.profile) ??
    (await renderTransitions(plan.transitions, crossfadeSeconds, options.profile, clips[0]!));
  if (problem) return problem;
  const listPath = path.join(workDir, "pieces.ffconcat");
  await writeFile(listPath, concatList(plan.pieces));
  await muxPieces(listPath, plan.pieces, options.narrationPath, totalSeconds, options.outPath);
  return null;
}

/** The requested crossfade (default 0.5 s) rounded to whole frames of the profile. */
function crossfadeInFrames({
  crossfadeSeconds = DEFAULT_CROSSFADE_SECONDS,
  profile,
}: AssembleOptions): number {
  return Math.round(crossfadeSeconds * profile.fps) / profile.fps;
}

/** The final duration in seconds; INVALID_INPUT for no clips or a bad timeline (segmentTimeline). */
function outputSeconds(clips: readonly AssemblyClip[], crossfadeSeconds: number): number {
  if (clips.length === 0) throw new MediaError("INVALID_INPUT", "no clips to assemble");
  return timelineSeconds(clips, crossfadeSeconds);
}

/**
 * Cuts every boundary: the outgoing clip is copied up to the fade start, the incoming clip from its
 * first keyframe at or after the fade end; the window in between becomes a Transition. Returns a
 * reason string when a clip is too short for the cuts around it.
 */
function planSmartRender(
  clips: AssemblyClip[],
  crossfadeSeconds: number,
  profile: VideoProfile,
  workDir: string,
): SmartPlan | string {
  const keyframeInterval = Math.round(profile.fps * profile.gopSeconds) / profile.fps;
  const windowSeconds = Math.ceil(crossfadeSeconds / keyframeInterval - EPSILON) * keyframeInterval;
  const cutIn = clips.map(() => 0);
  const cutOut = clips.map((clip) => clip.seconds);
  const transitionAfter = new Map<number, Transition>();
  clips.forEach((to, index) => {
    const from = clips[index - 1];
    if (!from || from.section === to.section || crossfadeSeconds === 0) return;
    cutOut[index - 1] = from.seconds - crossfadeSeconds;
    cutIn[index] = windowSeconds;
    transitionAfter.set(index - 1, {
      from,
      to,
      fromSeconds: from.seconds - crossfadeSeconds,
      seconds: windowSeconds,
      outPath: path.join(workDir, `transition-${transitionAfter.size}.mp4`),
    });
  });
  const uncuttable = clips.findIndex(
    (_, index) => cutIn[index]! > cutOut[index]! + EPSILON || cutOut[index]! < 0,
  );
  if (uncuttable >= 0) return `clip ${uncuttable} is too short for the cuts around its crossfades`;

  const pieces: Piece[] = [];
  clips.forEach((clip, index) => {
    if (cutOut[index]! - cutIn[index]! > EPSILON) {
      pieces.push({ path: clip.path, inSeconds: cutIn[index]!, outSeconds: cutOut[index]! });
    }
    const transition = transitionAfter.get(index);
    if (transition) pieces.push({ path: transition.outPath, inSeconds: 0, outSeconds: transition.seconds });
  });
  return { pieces, transitions: [...transitionAfter.values()] };
}

/**
 * Encodes every transition window, then checks that each has its planned frame count and the same
 * H.264 parameter sets as the clips (represented by `clip`), so that all can be joined by copy.
 * @returns null when the pieces can be joined, else the reason they cannot.
 */
async function renderTransitions(
  transitions: Transition[],
  crossfadeSeconds: number,
  profile: VideoProfile,
  clip: ClipTrack,
): Promise<string | null> {
  const backend = await getFfmpegBackend();
  await Promise.all(
    transitions.map((transition) => renderTransition(transition, crossfadeSeconds, profile, backend)),
  );
  const windows = await readVideoTracks(transitions.map((transition) => transition.outPath));
  const shortWindow = transitions.find(
    (transition, index) => windows[index]!.track?.sampleCount !== frameCount(transition.seconds, profile),
  );
  if (shortWindow) return `transition window ${shortWindow.outPath} is not ${shortWindow.seconds} s long`;
  return incompatibility([clip, ...windows], profile);
}

async function renderTransition(
  transition: Transition,
  crossfadeSeconds: number,
  profile: VideoProfile,
  backend: FfmpegBackend,
): Promise<void> {
  const { from, to, fromSeconds, seconds, outPath } = transition;
  // biome-ignore format: one option/value pair per line
  const args = [
    "-ss", String(fromSeconds), "-i", from.path,
    "-t", String(seconds), "-i", to.path,
    "-filter_complex", `[0:v][1:v]xfade=transition=fade:duration=${crossfadeSeconds}:offset=0[video]`,
    "-map", "[video]",
    ...videoEncodeArgs(profile, backend),
    ...MP4_ARGS,
    outPath,
  ];
  await runFfmpeg(args, { inputs: [from.path, to.path], outputs: [outPath] });
}

/** A file and its MP4 video track (undefined when it is not an MP4 with video). */
interface ClipTrack {
  path: string;
  track?: Mp4VideoTrack;
}

async function readVideoTracks(files: string[]): Promise<ClipTrack[]> {
  return Promise.all(
    files.map(async (file) => ({ path: file, track: await readMp4VideoTrack(file).catch(() => undefined) })),
  );
}

/** Why these files cannot be stream-copied together into `profile`, or null. */
function incompatibility(clips: ClipTrack[], profile: VideoProfile): string | null {
  const reference = clips[0]?.track;
  for (const { path: file, track } of clips) {
    if (!track) return `${file} is not an MP4 with a video track`;
    if (track.codec !== "avc1") return `${file} is ${track.codec}, not avc1 (H.264)`;
    if (track.width !== profile.width || track.height !== profile.height) {
      return `${file} is ${track.width}x${track.height}, not ${profile.width}x${profile.height}`;
    }
    if (!track.decoderConfig.equals(reference!.decoderConfig)) {
      return `${file} differs from the other clips in H.264 parameter sets`;
    }
  }
  return null;
}

/**
 * An ffconcat script. Every entry names its inpoint and outpoint: the demuxer then takes each
 * entry's duration from them (not from the file, whose AAC track may run a few ms longer), and an
 * inpoint of 0 stops it from shifting the timeline by the audio priming delay.
 */
function concatList(pieces: Piece[]): string {
  const entries = pieces.map(
    (piece) =>
      `file ${quoteConcatPath(piece.path)}\ninpoint ${piece.inSeconds}\noutpoint ${piece.outSeconds}\n`,
  );
  return `ffconcat version 1.0\n${entries.join("")}`;
}

/** Single-quoted for the concat script; a quote inside becomes '\'' (ffmpeg-utils quoting). */
function quoteConcatPath(file: string): string {
  return `'${file.replaceAll("'", "'\\''")}'`;
}

async function muxPieces(
  listPath: string,
  pieces: Piece[],
  narrationPath: string,
  totalSeconds: number,
  outPath: string,
): Promise<void> {
  // biome-ignore format: one option/value pair per line
  const args = [
    "-f", "concat", "-safe", "0", "-i", listPath,
    "-i", narrationPath,
    "-map", "0:v:0", "-map", "1:a:0",
    "-c", "copy",
    "-t", String(totalSeconds),
    ...MP4_ARGS,
    outPath,
  ];
  const inputs = [listPath, ...new Set(pieces.map((piece) => piece.path)), narrationPath];
  await runFfmpeg(args, { inputs, outputs: [outPath] });
}

function sumSeconds(clips: readonly TimelineClip[]): number {
  return clips.reduce((sum, clip) => sum + clip.seconds, 0);
}
