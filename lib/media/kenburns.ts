/**
 * Ken Burns clips: a slow zoom and pan over a still image, the local stand-in for an image-to-video
 * model. The output is already normalized to the job's profile (see normalize.ts), silent track
 * included.
 *
 * Filters: scale/crop (https://ffmpeg.org/ffmpeg-filters.html#scale-1, #crop) to cover the frame,
 * then zoompan (https://ffmpeg.org/ffmpeg-filters.html#zoompan). zoompan crops at whole pixels of
 * its input, which makes a slow move stutter; supersampling the source first makes each step a
 * fraction of an output pixel.
 */
import { createHash } from "node:crypto";
import { encodeCanonicalClip, frameAlignedSeconds, frameCount, silenceSource } from "./encoding";
import { assertPositiveSeconds, MediaError } from "./errors";
import type { VideoProfile } from "./profile";

/**
 * A camera move over the image.
 * zoomFrom/zoomTo: magnification at the first/last frame (1 = the whole frame, 1.25 = 80% of it; 1..10).
 * panX/panY: drift across the free margin, -1..1. panX 1 travels from the left edge to the right
 * edge ("pan right"), -1 the other way; panY 1 travels downwards ("tilt down"). Panning needs a
 * margin, i.e. a zoom above 1.
 */
export interface Motion {
  zoomFrom: number;
  zoomTo: number;
  panX: number;
  panY: number;
}

/** A motion written as a prompt ("slow push in, pan left"), resolved with motionFromPrompt. */
export interface MotionPrompt {
  prompt: string;
  /** Picks a move when the prompt names none; the same seed always gives the same move. */
  seed: string;
}

export interface KenBurnsOptions {
  /** Absolute path of a still image (PNG, JPEG or WebP). */
  imagePath: string;
  /** Absolute path of the MP4 to write. */
  outPath: string;
  /** Clip length in seconds (rounded to whole frames). */
  seconds: number;
  profile: VideoProfile;
  motion: Motion | MotionPrompt;
}

/** Supersampling factor of the source before zoompan: 4 keeps each pan step at 1/4 output px. */
const SUPERSAMPLE = 4;
const ZOOM_SPAN = 0.25;
const PAN_ZOOM = 1.15;

/**
 * Renders a Ken Burns clip: H.264 High yuv420p at profile.width x profile.height and profile.fps,
 * closed GOP with a keyframe every profile.gopSeconds, plus a silent AAC track (profile sample rate
 * and channels) of the same duration, MP4 with +faststart. Both tracks last exactly
 * round(seconds × fps) / fps seconds.
 * @throws MediaError INVALID_INPUT for a non-positive duration or an out-of-range motion;
 *   FFMPEG_FAILED when the image cannot be decoded.
 */
export async function renderKenBurnsClip(options: KenBurnsOptions): Promise<void> {
  const { imagePath, outPath, seconds, profile } = options;
  assertPositiveSeconds(seconds, "Ken Burns clip length");
  const motion =
    "prompt" in options.motion
      ? motionFromPrompt(options.motion.prompt, options.motion.seed)
      : options.motion;
  assertValidMotion(motion);
  const frames = frameCount(seconds, profile);
  const filterGraph = [
    `[0:v]${coverFilters(profile)},${zoompanFilter(motion, frames, profile)},format=yuv420p[v]`,
    `${silenceSource(profile, frameAlignedSeconds(seconds, profile))}[a]`,
  ].join(";");
  await encodeCanonicalClip(imagePath, filterGraph, profile, outPath);
}

/** Scale the image to cover the supersampled frame, centre-crop the overflow, square pixels. */
function coverFilters(profile: VideoProfile): string {
  const width = profile.width * SUPERSAMPLE;
  const height = profile.height * SUPERSAMPLE;
  return `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1`;
}

/**
 * zoompan with a linear zoom from zoomFrom to zoomTo over the output frames (`on` = output frame
 * index); the window's top-left corner sits at (0.5 + pan × (progress − 0.5)) of the free margin.
 */
function zoompanFilter(motion: Motion, frames: number, profile: VideoProfile): string {
  const progress = `on/${Math.max(frames - 1, 1)}`;
  const zoom = `${motion.zoomFrom}+${motion.zoomTo - motion.zoomFrom}*${progress}`;
  const x = `(iw-iw/zoom)*(0.5+${motion.panX}*(${progress}-0.5))`;
  const y = `(ih-ih/zoom)*(0.5+${motion.panY}*(${progress}-0.5))`;
  return `zoompan=z='${zoom}':x='${x}':y='${y}':d=${frames}:s=${profile.width}x${profile.height}:fps=${profile.fps}`;
}

function assertValidMotion(motion: Motion): void {
  const zoomOk = [motion.zoomFrom, motion.zoomTo].every((zoom) => zoom >= 1 && zoom <= 10);
  const panOk = [motion.panX, motion.panY].every((pan) => pan >= -1 && pan <= 1);
  if (!(zoomOk && panOk)) {
    throw new MediaError("INVALID_INPUT", `motion out of range: ${JSON.stringify(motion)}`);
  }
}

type ZoomDirection = "in" | "out" | "none";
type PanDirection = "left" | "right" | "up" | "down" | "none";

const ZOOM_WORDS: [ZoomDirection, RegExp][] = [
  ["in", /\b(zoom(s|ing)?|push(es|ing)?|dolly(ing)?|mov(e|es|ing)) in\b|\bclose[- ]?up\b|приближ|наезд/i],
  ["out", /\b(zoom(s|ing)?|pull(s|ing)?|dolly(ing)?|mov(e|es|ing)) (out|back)\b|отдал|отъезд/i],
  ["none", /\b(static|locked[- ]off|no (camera )?motion)\b|статич/i],
];

const PAN_WORDS: [PanDirection, RegExp][] = [
  ["left", /\b(pan|drift|slide|track|truck|move)\w*( to the)? left(wards?)?\b|влево|налево/i],
  ["right", /\b(pan|drift|slide|track|truck|move)\w*( to the)? right(wards?)?\b|вправо|направо/i],
  ["up", /\b(tilt|pan|drift|move|crane)\w*( up(wards?)?)\b|вверх/i],
  ["down", /\b(tilt|pan|drift|move|crane)\w*( down(wards?)?)\b|вниз/i],
];

const SEEDED_ZOOMS: ZoomDirection[] = ["in", "out"];
const SEEDED_PANS: PanDirection[] = ["none", "left", "right", "up", "down"];

/**
 * Turns a motion prompt into a Motion, deterministically. Recognized words (English, and the
 * Russian stems приближ/наезд/отдал/отъезд/влево/вправо/вверх/вниз): "zoom in", "push in",
 * "close-up" → zoom 1 → 1.25; "zoom out", "pull back" → 1.25 → 1; "static" → no motion;
 * "pan/drift/track left|right", "tilt/pan up|down" → a pan across the margin at zoom 1.15 (or
 * combined with a zoom). Whatever the prompt leaves open (zoom and pan both unnamed) is picked from
 * SHA-256(seed), so a segment keeps its move across re-renders.
 */
export function motionFromPrompt(motionPrompt: string, seed: string): Motion {
  const namedZoom = firstMatch(ZOOM_WORDS, motionPrompt);
  const namedPan = firstMatch(PAN_WORDS, motionPrompt);
  if (namedZoom === "none") return { zoomFrom: 1, zoomTo: 1, panX: 0, panY: 0 };
  const seeded = !namedZoom && !namedPan;
  const hash = createHash("sha256").update(seed).digest();
  const zoom = namedZoom ?? (seeded ? pick(SEEDED_ZOOMS, hash[0]!) : "none");
  const pan = namedPan ?? (seeded ? pick(SEEDED_PANS, hash[1]!) : "none");
  return { ...zoomRange(zoom, pan !== "none"), ...panVector(pan) };
}

function firstMatch<T>(table: [T, RegExp][], text: string): T | undefined {
  return table.find(([, pattern]) => pattern.test(text))?.[0];
}

function pick<T>(choices: T[], byte: number): T {
  return choices[byte % choices.length]!;
}

function zoomRange(zoom: ZoomDirection, panning: boolean): Pick<Motion, "zoomFrom" | "zoomTo"> {
  const base = panning ? PAN_ZOOM : 1;
  if (zoom === "in") return { zoomFrom: base, zoomTo: base + ZOOM_SPAN };
  if (zoom === "out") return { zoomFrom: base + ZOOM_SPAN, zoomTo: base };
  return { zoomFrom: base, zoomTo: base };
}

function panVector(pan: PanDirection): Pick<Motion, "panX" | "panY"> {
  return {
    panX: pan === "left" ? -1 : pan === "right" ? 1 : 0,
    panY: pan === "up" ? -1 : pan === "down" ? 1 : 0,
  };
}
