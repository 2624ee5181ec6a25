/**
 * Final assembly: normalized clips in order, a transition at each section boundary (intro→main,
 * main→outro) or, with `transitions: "all"`, between every pair of clips, the narration track
 * underneath. Final duration = sum(seconds) − crossfadeSeconds × (number of transitions), as
 * segmentTimeline computes. A transition is any xfade effect (fade, dissolve, wipes, slides, …).
 *
 * Smart render (assembleVideo): the clips already share one encoder configuration, no B-frames and
 * a keyframe every gopSeconds (encoding.ts), so runs of clips are stream-copied with the concat
 * demuxer (https://ffmpeg.org/ffmpeg-formats.html#concat-1, inpoint/outpoint) and only a short
 * window at each transition is re-encoded with xfade (https://ffmpeg.org/ffmpeg-filters.html#xfade):
 * from the fade start in the outgoing clip (a copy may stop at any frame, since without B-frames
 * every frame decodes from earlier ones) to the first keyframe at or after the fade end in the
 * incoming clip (a copy must start at a keyframe): 1 s per transition for 0.5 s fades and 1 s GOPs.
 * Cost grows with the number of transitions, not with the video's length. The windows depend only
 * on their two clips, so they can be rendered ahead of time (prerenderTransitions into a
 * transitionCacheDir, e.g. while the narration is synthesized), leaving assembly a pure mux.
 *
 * Crossfades are rounded to whole frames (0.5 s is 12 frames at 24 fps, 13 at 25 fps).
 *
 * Full render (assembleFull): one filter graph (concat filter per run of clips, xfade between runs),
 * everything re-encoded. The reference the smart path must match, and its fallback.
 *
 * Soundtrack: by default the narration's AAC is stream-copied. With `music` (a bed looped, faded and
 * ducked under the narration) or `loudnessLufs` set, the audio is re-mixed in full and re-encoded
 * (music.ts: measuring passes, then the mix normalized to the target, EBU R128, two-pass linear)
 * in the same ffmpeg run that stream-copies the video: audio costs ~1 s of AAC encoding per minute
 * of video on a 2-core machine, the video stays a copy. The measuring passes run while the
 * transition windows are rendered.
 *
 * Captions (captions.ts) are written as WebVTT and added in the final mux as a soft mov_text
 * subtitle track (https://ffmpeg.org/ffmpeg-codecs.html#Subtitles-Encoders), which costs nothing:
 * the video stays stream-copied. Burning them into the picture uses the subtitles filter
 * (https://ffmpeg.org/ffmpeg-filters.html#subtitles-1) and therefore always a full re-encode.
 */
import { createHash, randomUUID } from "node:crypto";
import { access, mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { type CaptionCue, captionCues, webVtt } from "./captions";
import { AUDIO_BITS_PER_SECOND, frameCount, MP4_ARGS, videoEncodeArgs } from "./encoding";
import { MediaError } from "./errors";
import { type FfmpegBackend, getFfmpegBackend, runFfmpeg } from "./ffmpeg";
import { type Mp4VideoTrack, readMp4DurationSeconds, readMp4VideoTrack } from "./mp4";
import { type MusicBed, planSoundtrack, type SoundtrackPlan } from "./music";
import { probeMedia } from "./probe";
import type { VideoProfile } from "./profile";
import {
  hasTransitionBefore,
  type TimelineClip,
  type TransitionScope,
  timelineSeconds,
  transitionGroups,
} from "./timeline";

export interface AssemblyClip extends TimelineClip {
  /** Absolute path of a clip normalized to `profile` (normalizeClip or renderKenBurnsClip). */
  path: string;
}

export interface AssembleOptions {
  /** Clips in playback order, sections in order intro, main, outro (any may be empty). */
  clips: AssemblyClip[];
  /**
   * Absolute path of the narration track (encodeNarration), timed to the final timeline. AAC when
   * it is stream-copied (no music, no loudnessLufs); any audio ffmpeg decodes (e.g. a WAV from
   * encodeNarration) when the soundtrack is re-mixed.
   */
  narrationPath: string;
  /**
   * A background music bed under the narration (music.ts: looped, faded, ducked while the narration
   * speaks). Unset = narration only. Setting it re-mixes and re-encodes the audio, normalized to
   * loudnessLufs (default −16 LUFS).
   */
  music?: MusicBed;
  /**
   * Target integrated loudness of the final audio in LUFS (EBU R128; −40 to −5). Default: −16 when
   * `music` is set; unset without music = the narration is copied as it is. Setting it re-encodes
   * the audio (narration only: gain to the target + peak limiter).
   */
  loudnessLufs?: number;
  /** Length of each transition in seconds: 0.3 to 2 (default 0.5), or 0 for hard cuts. */
  crossfadeSeconds?: number;
  /** Where transitions go: "sections" (default, section boundaries) or "all" (every pair of clips). */
  transitions?: TransitionScope;
  /** The xfade effect of every transition (default "fade"). */
  transitionType?: XfadeTransition;
  profile: VideoProfile;
  /** Absolute path of the MP4 to write. */
  outPath: string;
  /**
   * Captions: one text per clip (what is said over it; "" = none), timed like the narration
   * (captionCues), or cues already timed on the final timeline. Unset or no cue = no caption track.
   */
  captions?: readonly string[] | readonly CaptionCue[];
  /** ISO 639-2 code of the captions' language ("rus", "eng"; default "und"). */
  captionLanguage?: string;
  /**
   * Draw the captions into the picture instead of adding a soft track. This is a full re-encode of
   * the whole video (seconds per minute of video instead of a stream copy): assembleVideo then
   * renders with assembleFull.
   */
  burnCaptions?: boolean;
  /** The font burned-in captions are drawn with (default DejaVu Sans from fonts-dejavu-core). */
  captionFont?: CaptionFont;
  /**
   * Absolute path of a directory that keeps rendered transition windows between calls, named by a
   * hash of what they are made of (clip files, cut times, effect, profile); prerenderTransitions
   * fills it ahead of time. Unset: windows are rendered into a temp dir and dropped.
   */
  transitionCacheDir?: string;
}

export interface CaptionFont {
  /** Absolute path of a TrueType/OpenType file. */
  file: string;
  /** Its family name, as libass matches it ("DejaVu Sans"). */
  family: string;
}

export interface AssembleResult {
  /** Duration of the written file in seconds (its MP4 movie header, as ffprobe reports it). */
  durationSeconds: number;
  /** "smart" when transitions alone were re-encoded, "full" when everything was. */
  mode: "smart" | "full";
  /** Why the smart path handed over to the full render, when it did. */
  fallbackReason?: string;
}

/** The effects of ffmpeg 5.1's xfade filter (all but "custom", which needs expressions). */
// biome-ignore format: grouped by kind of effect
export const XFADE_TRANSITIONS = [
  "fade", "fadeblack", "fadewhite", "fadegrays", "fadefast", "fadeslow", "dissolve", "distance",
  "wipeleft", "wiperight", "wipeup", "wipedown", "wipetl", "wipetr", "wipebl", "wipebr",
  "slideleft", "slideright", "slideup", "slidedown",
  "smoothleft", "smoothright", "smoothup", "smoothdown",
  "circlecrop", "rectcrop", "circleopen", "circleclose", "radial",
  "vertopen", "vertclose", "horzopen", "horzclose",
  "diagtl", "diagtr", "diagbl", "diagbr",
  "hlslice", "hrslice", "vuslice", "vdslice",
  "pixelize", "hblur", "squeezeh", "squeezev", "zoomin",
] as const;

export type XfadeTransition = (typeof XFADE_TRANSITIONS)[number];

/** Allowed transition lengths in seconds (0, hard cuts, is allowed too). */
export const MIN_CROSSFADE_SECONDS = 0.3;
export const MAX_CROSSFADE_SECONDS = 2;

const DEFAULT_CROSSFADE_SECONDS = 0.5;
const DEFAULT_CAPTION_LANGUAGE = "und";
const DEFAULT_CAPTION_FONT: CaptionFont = {
  file: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  family: "DejaVu Sans",
};
/** Tolerance for comparing times in seconds: well under one frame. */
const EPSILON = 1e-6;

/** One stretch of a file on the output timeline: [inSeconds, outSeconds) of `path`. */
interface Piece {
  path: string;
  inSeconds: number;
  outSeconds: number;
}

/** The options that shape the transitions. */
type TransitionOptions = Pick<
  AssembleOptions,
  "crossfadeSeconds" | "transitions" | "transitionType" | "profile"
>;

/** The validated transitions of one assembly; `seconds` is rounded to whole frames. */
interface Transitions {
  seconds: number;
  scope: TransitionScope;
  type: XfadeTransition;
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
 * be cut exactly (a clip too short for the keyframe windows of its transitions), do not share the
 * profile's stream parameters (size, H.264 parameter sets), or captions are to be burned in
 * (always a full re-encode).
 * Output: H.264 yuv420p from the clips; the narration's AAC stream-copied, or with music /
 * loudnessLufs the re-mixed soundtrack as AAC-LC (profile rate and channels, 128 kbit/s); the
 * captions as a mov_text track (unless burned in); MP4 +faststart.
 * @throws MediaError INVALID_INPUT (see segmentTimeline, webVtt and assertValidTransitions; a
 *   caption language that is not 3 lowercase letters; a missing caption font for burn-in; music
 *   or loudness options out of range, see planSoundtrack), FFMPEG_FAILED (also for a narration or
 *   music file that cannot be decoded), FFMPEG_TIMEOUT.
 */
export async function assembleVideo(options: AssembleOptions): Promise<AssembleResult> {
  const transitions = resolveTransitions(options);
  if (options.burnCaptions) {
    const fallbackReason = "burned-in captions need a full re-encode";
    return { ...(await assembleFull(options)), mode: "full", fallbackReason };
  }
  // A cache directory may not exist yet (no pre-render ran on this machine): windows go there.
  if (options.transitionCacheDir) await mkdir(options.transitionCacheDir, { recursive: true });
  return withWorkDir(async (workDir) => {
    const fallbackReason = await smartRender(options, transitions, workDir);
    if (fallbackReason === null) {
      // The movie header's duration (what ffprobe reports), read without starting a process.
      return { durationSeconds: await readMp4DurationSeconds(options.outPath), mode: "smart" };
    }
    return { ...(await assembleFull(options)), mode: "full", fallbackReason };
  });
}

/**
 * Assembles by re-encoding everything in one filter graph: the clips between transitions joined
 * with the concat filter, those runs joined with xfade (transitionType, crossfadeSeconds), captions
 * burned in with the subtitles filter when burnCaptions is set (else a mov_text track); narration
 * stream-copied. Slow (all clips decoded and encoded) but needs nothing from the clips beyond
 * equal size and fps.
 * @throws MediaError as assembleVideo does.
 */
export async function assembleFull(options: AssembleOptions): Promise<{ durationSeconds: number }> {
  const { clips, narrationPath, profile, outPath } = options;
  const transitions = resolveTransitions(options);
  const totalSeconds = outputSeconds(clips, transitions);
  const groups = transitions.seconds > 0 ? transitionGroups(clips, transitions.scope) : [clips];
  const font = options.burnCaptions ? await captionFontOf(options) : undefined;
  const soundtrack = await soundtrackOf(options, totalSeconds);
  return withWorkDir(async (workDir) => {
    const captionsPath = await writeCaptions(options, transitions, workDir);
    const burnIn = font && captionsPath ? { captionsPath, font } : undefined;
    const softCaptions = burnIn ? undefined : captionsPath;
    const audio = audioArgs(soundtrack, narrationPath, clips.length);
    const captionInput = clips.length + audio.inputCount;
    // biome-ignore format: one option/value pair per line
    const args = [
      ...clips.flatMap((clip) => ["-i", clip.path]),
      ...audio.inputArgs,
      ...(softCaptions ? ["-i", softCaptions] : []),
      "-filter_complex", [fullRenderGraph(groups, transitions, burnIn), ...audio.graph].join(";"),
      "-map", "[video]",
      ...audio.outputArgs,
      ...videoEncodeArgs(profile, await getFfmpegBackend()),
      ...(softCaptions ? captionTrackArgs(captionInput, options) : []),
      "-t", String(totalSeconds),
      ...MP4_ARGS,
      outPath,
    ];
    const readOnly = burnIn ? [burnIn.captionsPath, burnIn.font.file] : [];
    const inputs = [
      ...clips.map((clip) => clip.path),
      ...audio.inputFiles,
      ...(softCaptions ? [softCaptions] : []),
    ];
    await runFfmpeg(args, { inputs: [...inputs, ...readOnly], outputs: [outPath] });
    return { durationSeconds: (await probeMedia(outPath)).durationSeconds };
  });
}

async function withWorkDir<T>(task: (workDir: string) => Promise<T>): Promise<T> {
  const workDir = await mkdtemp(path.join(tmpdir(), "kadr-assemble-"));
  try {
    return await task(workDir);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Writes the captions as WebVTT into workDir; undefined when there are none. */
async function writeCaptions(
  options: AssembleOptions,
  transitions: Transitions,
  workDir: string,
): Promise<string | undefined> {
  if (!options.captions || options.captions.length === 0) return undefined;
  assertCaptionLanguage(options);
  const cues = assemblyCaptionCues(options, transitions);
  if (cues.length === 0) return undefined;
  const captionsPath = path.join(workDir, "captions.vtt");
  await writeFile(captionsPath, webVtt(cues));
  return captionsPath;
}

/**
 * The caption cues assembleVideo muxes for `options` (its `captions` timed on the final timeline
 * with the same frame-rounded crossfades as the picture), without running ffmpeg: what the MP4's
 * mov_text track holds, e.g. to serve it to browsers as WebVTT. Times in seconds.
 * @param transitions the resolved transitions; omitted = resolved from `options`.
 * @returns [] when there are no captions.
 * @throws MediaError INVALID_INPUT for bad transition options or as captionCues does.
 */
export function assemblyCaptionCues(
  options: TransitionOptions & Pick<AssembleOptions, "captions"> & { clips: readonly TimelineClip[] },
  transitions: Transitions = resolveTransitions(options),
): CaptionCue[] {
  const { captions } = options;
  if (!captions || captions.length === 0) return [];
  return isTextList(captions)
    ? captionCues(captions, options.clips, transitions.seconds, transitions.scope)
    : [...captions];
}

function isTextList(captions: readonly string[] | readonly CaptionCue[]): captions is readonly string[] {
  return typeof captions[0] === "string";
}

function assertCaptionLanguage({ captionLanguage = DEFAULT_CAPTION_LANGUAGE }: AssembleOptions): void {
  if (!/^[a-z]{3}$/.test(captionLanguage)) {
    throw new MediaError(
      "INVALID_INPUT",
      `captionLanguage must be an ISO 639-2 code of 3 lowercase letters (got "${captionLanguage}")`,
    );
  }
}

/** Maps input `inputIndex` (a WebVTT file) as a mov_text track tagged with the caption language. */
function captionTrackArgs(
  inputIndex: number,
  { captionLanguage = DEFAULT_CAPTION_LANGUAGE }: AssembleOptions,
): string[] {
  // biome-ignore format: one option/value pair per line
  return [
    "-map", `${inputIndex}:s:0`,
    "-c:s", "mov_text",
    "-metadata:s:s:0", `language=${captionLanguage}`,
  ];
}

/** The burn-in font (default DejaVu Sans); INVALID_INPUT when its file is missing. */
async function captionFontOf({ captionFont = DEFAULT_CAPTION_FONT }: AssembleOptions): Promise<CaptionFont> {
  try {
    await access(captionFont.file);
  } catch {
    throw new MediaError(
      "INVALID_INPUT",
      `burned-in captions need the font file ${captionFont.file} (set captionFont to an installed font)`,
    );
  }
  return captionFont;
}

/**
 * The subtitles filter drawing `captionsPath` with the font's family; fontsdir makes libass load the
 * font file itself, which the wasm build (no system fonts) needs.
 */
function burnInFilter({ captionsPath, font }: { captionsPath: string; font: CaptionFont }): string {
  const options = [
    `filename=${escapeFilterValue(captionsPath)}`,
    `fontsdir=${escapeFilterValue(path.dirname(font.file))}`,
    `force_style=${escapeFilterValue(`FontName=${font.family}`)}`,
  ];
  return `subtitles=${options.join(":")}`;
}

/**
 * Escapes a filter option value for a filter graph: first for the option parser (\ ' :), then for
 * the graph parser (\ ' [ ] , ;). https://ffmpeg.org/ffmpeg-filters.html#Notes-on-filtergraph-escaping
 */
function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, (char) => `\\${char}`);
  return optionLevel.replace(/[\\'[\],;]/g, (char) => `\\${char}`);
}

/**
 * `[i:v]…concat[gK]` per run of clips, then `[acc][gK]xfade=…:offset=<acc length − fade>` left to
 * right, then the burn-in subtitles filter when asked.
 */
function fullRenderGraph(
  groups: AssemblyClip[][],
  { seconds: crossfadeSeconds, type }: Transitions,
  burnIn: { captionsPath: string; font: CaptionFont } | undefined,
): string {
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
    const fade = `[${accumulated}][g${index + 1}]xfade=transition=${type}:duration=${crossfadeSeconds}:offset=${offset}[${label}]`;
    accumulated = label;
    accumulatedSeconds += sumSeconds(group) - crossfadeSeconds;
    return fade;
  });
  const finish = burnIn ? burnInFilter(burnIn) : "null";
  return [...joins, ...fades, `[${accumulated}]${finish}[video]`].join(";");
}

/** Writes the smart render to options.outPath; returns null, or why it cannot (nothing written). */
async function smartRender(
  options: AssembleOptions,
  transitions: Transitions,
  workDir: string,
): Promise<string | null> {
  const totalSeconds = outputSeconds(options.clips, transitions);
  const windowDir = options.transitionCacheDir ?? workDir;
  const plan = await planSmartRender(options.clips, transitions, options.profile, windowDir);
  if (typeof plan === "string") return plan;
  const captionsPath = await writeCaptions(options, transitions, workDir);
  const clips = await readVideoTracks(options.clips.map((clip) => clip.path));
  const incompatible = incompatibility(clips, options.profile);
  if (incompatible) return incompatible;
  // The soundtrack's measuring passes run while the transition windows are encoded.
  const [problem, soundtrack] = await Promise.all([
    renderTransitions(plan.transitions, transitions, options.profile, clips[0]!),
    soundtrackOf(options, totalSeconds),
  ]);
  if (problem) return problem;
  const listPath = path.join(workDir, "pieces.ffconcat");
  await writeFile(listPath, concatList(plan.pieces));
  await muxPieces(listPath, plan.pieces, totalSeconds, captionsPath, soundtrack, options);
  return null;
}

/**
 * Checks transition options before any work is done.
 * @throws MediaError INVALID_INPUT when crossfadeSeconds is neither 0 nor within 0.3–2 s, or
 *   transitionType is not one of XFADE_TRANSITIONS, or transitions is neither "sections" nor "all".
 */
export function assertValidTransitions({
  crossfadeSeconds = DEFAULT_CROSSFADE_SECONDS,
  transitionType = "fade",
  transitions = "sections",
}: Pick<AssembleOptions, "crossfadeSeconds" | "transitionType" | "transitions">): void {
  const inRange = crossfadeSeconds >= MIN_CROSSFADE_SECONDS && crossfadeSeconds <= MAX_CROSSFADE_SECONDS;
  if (!(crossfadeSeconds === 0 || inRange)) {
    throw new MediaError(
      "INVALID_INPUT",
      `crossfadeSeconds must be 0 (hard cuts) or from ${MIN_CROSSFADE_SECONDS} to ${MAX_CROSSFADE_SECONDS} s (got ${crossfadeSeconds})`,
    );
  }
  if (!(XFADE_TRANSITIONS as readonly string[]).includes(transitionType)) {
    throw new MediaError(
      "INVALID_INPUT",
      `transitionType "${transitionType}" is not an xfade transition (one of ${XFADE_TRANSITIONS.join(", ")})`,
    );
  }
  if (transitions !== "sections" && transitions !== "all") {
    throw new MediaError("INVALID_INPUT", `transitions must be "sections" or "all" (got "${transitions}")`);
  }
}

/** The validated transitions, crossfadeSeconds rounded to whole frames of the profile. */
function resolveTransitions(options: TransitionOptions): Transitions {
  assertValidTransitions(options);
  const { crossfadeSeconds = DEFAULT_CROSSFADE_SECONDS, profile } = options;
  return {
    seconds: Math.round(crossfadeSeconds * profile.fps) / profile.fps,
    scope: options.transitions ?? "sections",
    type: options.transitionType ?? "fade",
  };
}

/** The final duration in seconds; INVALID_INPUT for no clips or a bad timeline (segmentTimeline). */
function outputSeconds(clips: readonly AssemblyClip[], transitions: Transitions): number {
  if (clips.length === 0) throw new MediaError("INVALID_INPUT", "no clips to assemble");
  return timelineSeconds(clips, transitions.seconds, transitions.scope);
}

/**
 * Cuts at every transition: the outgoing clip is copied up to the fade start, the incoming clip
 * from its first keyframe at or after the fade end; the window in between becomes a Transition,
 * named in windowDir by windowName. Returns a reason string when a clip is too short for the cuts
 * around it.
 */
async function planSmartRender(
  clips: AssemblyClip[],
  transitions: Transitions,
  profile: VideoProfile,
  windowDir: string,
): Promise<SmartPlan | string> {
  const { seconds: crossfadeSeconds, scope } = transitions;
  const keyframeInterval = Math.round(profile.fps * profile.gopSeconds) / profile.fps;
  const windowSeconds = Math.ceil(crossfadeSeconds / keyframeInterval - EPSILON) * keyframeInterval;
  const cutIn = clips.map(() => 0);
  const cutOut = clips.map((clip) => clip.seconds);
  const transitionAfter = new Map<number, Transition>();
  for (const [index, to] of clips.entries()) {
    const from = clips[index - 1];
    if (!from || crossfadeSeconds === 0 || !hasTransitionBefore(clips, index, scope)) continue;
    cutOut[index - 1] = from.seconds - crossfadeSeconds;
    cutIn[index] = windowSeconds;
    const cut = { from, to, fromSeconds: from.seconds - crossfadeSeconds, seconds: windowSeconds };
    const name = await windowName(cut, transitions, profile);
    transitionAfter.set(index - 1, { ...cut, outPath: path.join(windowDir, name) });
  }
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
 * `transition-<sha256>.mp4` of everything the window is made of: both clip files (path, size,
 * modification time), the cut, the effect and the profile. Equal names mean equal windows.
 */
async function windowName(
  cut: Omit<Transition, "outPath">,
  { seconds: crossfadeSeconds, type }: Transitions,
  profile: VideoProfile,
): Promise<string> {
  const identity = async (file: string) => {
    const { size, mtimeMs } = await stat(file).catch(() => ({ size: -1, mtimeMs: -1 }));
    return [file, size, mtimeMs];
  };
  const recipe = JSON.stringify([
    await identity(cut.from.path),
    await identity(cut.to.path),
    cut.fromSeconds,
    cut.seconds,
    crossfadeSeconds,
    type,
    profile,
  ]);
  return `transition-${createHash("sha256").update(recipe).digest("hex")}.mp4`;
}

/**
 * Renders the transition windows of an assembly into options.transitionCacheDir (created if
 * missing) ahead of the assembly, so that a later assembleVideo with the same options and cache
 * dir only muxes. Windows already in the cache are kept. Renders nothing when the clips cannot be
 * cut for the smart render (assembleVideo will then fall back to the full render).
 * @returns how many windows were rendered now and how many were already cached.
 * @throws MediaError INVALID_INPUT as assembleVideo does for transitions and the timeline;
 *   FFMPEG_FAILED when a clip cannot be decoded.
 */
export async function prerenderTransitions(
  options: TransitionOptions & Pick<AssembleOptions, "clips"> & { transitionCacheDir: string },
): Promise<{ rendered: number; cached: number }> {
  const transitions = resolveTransitions(options);
  outputSeconds(options.clips, transitions);
  await mkdir(options.transitionCacheDir, { recursive: true });
  const plan = await planSmartRender(options.clips, transitions, options.profile, options.transitionCacheDir);
  if (typeof plan === "string") return { rendered: 0, cached: 0 };
  const rendered = await renderMissingWindows(plan.transitions, transitions, options.profile);
  return { rendered, cached: plan.transitions.length - rendered };
}

/**
 * Renders the windows whose file does not exist yet, as many at once as there are cores; each is
 * written under a temporary name and renamed, so a window file is always complete.
 * @returns how many were rendered.
 */
async function renderMissingWindows(
  transitions: Transition[],
  effect: Transitions,
  profile: VideoProfile,
): Promise<number> {
  const missing: Transition[] = [];
  for (const transition of transitions) {
    const exists = await access(transition.outPath).then(
      () => true,
      () => false,
    );
    if (!exists) missing.push(transition);
  }
  const backend = await getFfmpegBackend();
  const queue = [...missing];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const partialPath = `${next.outPath}.${process.pid}-${randomUUID()}.partial`;
      await renderTransition({ ...next, outPath: partialPath }, effect, profile, backend);
      await rename(partialPath, next.outPath);
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), queue.length) }, worker));
  return missing.length;
}

/**
 * Encodes the transition windows not rendered yet, then checks that each has its planned frame
 * count and the same H.264 parameter sets as the clips (represented by `clip`), so that all can
 * be joined by copy.
 * @returns null when the pieces can be joined, else the reason they cannot.
 */
async function renderTransitions(
  transitions: Transition[],
  effect: Transitions,
  profile: VideoProfile,
  clip: ClipTrack,
): Promise<string | null> {
  await renderMissingWindows(transitions, effect, profile);
  const windows = await readVideoTracks(transitions.map((transition) => transition.outPath));
  const shortWindow = transitions.find(
    (transition, index) => windows[index]!.track?.sampleCount !== frameCount(transition.seconds, profile),
  );
  if (shortWindow) return `transition window ${shortWindow.outPath} is not ${shortWindow.seconds} s long`;
  return incompatibility([clip, ...windows], profile);
}

async function renderTransition(
  transition: Transition,
  { seconds: crossfadeSeconds, type }: Transitions,
  profile: VideoProfile,
  backend: FfmpegBackend,
): Promise<void> {
  const { from, to, fromSeconds, seconds, outPath } = transition;
  // biome-ignore format: one option/value pair per line
  const args = [
    "-ss", String(fromSeconds), "-i", from.path,
    "-t", String(seconds), "-i", to.path,
    "-filter_complex", `[0:v][1:v]xfade=transition=${type}:duration=${crossfadeSeconds}:offset=0[video]`,
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

/**
 * Stream-copies the pieces into options.outPath with the audio (the narration copied, or the
 * planned soundtrack encoded), plus the caption track.
 */
async function muxPieces(
  listPath: string,
  pieces: Piece[],
  totalSeconds: number,
  captionsPath: string | undefined,
  soundtrack: SoundtrackPlan | undefined,
  options: AssembleOptions,
): Promise<void> {
  const { narrationPath, outPath } = options;
  const audio = audioArgs(soundtrack, narrationPath, 1);
  // biome-ignore format: one option/value pair per line
  const args = [
    "-f", "concat", "-safe", "0", "-i", listPath,
    ...audio.inputArgs,
    ...(captionsPath ? ["-i", captionsPath] : []),
    ...(audio.graph.length > 0 ? ["-filter_complex", audio.graph.join(";")] : []),
    "-map", "0:v:0",
    ...audio.outputArgs,
    "-c:v", "copy",
    ...(captionsPath ? captionTrackArgs(1 + audio.inputCount, options) : []),
    "-t", String(totalSeconds),
    ...MP4_ARGS,
    outPath,
  ];
  const pieceFiles = new Set(pieces.map((piece) => piece.path));
  const inputs = [listPath, ...pieceFiles, ...audio.inputFiles, ...(captionsPath ? [captionsPath] : [])];
  await runFfmpeg(args, { inputs, outputs: [outPath] });
}

/** The planned soundtrack when the audio is re-mixed (music or loudnessLufs set), else undefined. */
async function soundtrackOf(
  options: AssembleOptions,
  totalSeconds: number,
): Promise<SoundtrackPlan | undefined> {
  const { music, loudnessLufs, narrationPath, profile } = options;
  if (!music && loudnessLufs === undefined) return undefined;
  return planSoundtrack({ narrationPath, music, loudnessLufs, totalSeconds, profile });
}

/**
 * The audio part of an ffmpeg command whose audio inputs start at input `firstInput`: the narration
 * stream-copied, or the soundtrack's inputs, graph chains and AAC encoder.
 */
function audioArgs(
  soundtrack: SoundtrackPlan | undefined,
  narrationPath: string,
  firstInput: number,
): { inputArgs: string[]; inputFiles: string[]; inputCount: number; graph: string[]; outputArgs: string[] } {
  if (!soundtrack) {
    return {
      inputArgs: ["-i", narrationPath],
      inputFiles: [narrationPath],
      inputCount: 1,
      graph: [],
      outputArgs: ["-map", `${firstInput}:a:0`, "-c:a", "copy"],
    };
  }
  return {
    inputArgs: soundtrack.inputArgs,
    inputFiles: soundtrack.inputFiles,
    inputCount: soundtrack.inputFiles.length,
    graph: [soundtrack.graph(firstInput)],
    outputArgs: ["-map", "[soundtrack]", "-c:a", "aac", "-b:a", String(AUDIO_BITS_PER_SECOND)],
  };
}

function sumSeconds(clips: readonly TimelineClip[]): number {
  return clips.reduce((sum, clip) => sum + clip.seconds, 0);
}
