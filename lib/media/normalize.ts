/**
 * Normalization: any provider clip → the job's canonical profile, once, when the clip is produced,
 * so the final assembly can stream-copy it.
 *
 * What providers and users send, and how it is handled:
 * - other sizes and aspect ratios: framing "fit" scales inside the frame and pads with black
 *   (scale, https://ffmpeg.org/ffmpeg-filters.html#scale-1; pad, #pad), "fill" scales to cover the
 *   frame and crops the overflow (#crop); non-square pixels are made square first (#setsar);
 * - other or variable frame rates: fps (#fps) resamples to the profile's constant rate from t = 0;
 * - rotation metadata (phone video, a display matrix in the container): ffmpeg's autorotate
 *   (https://ffmpeg.org/ffmpeg.html#Advanced-options) turns the picture upright before the filters;
 * - 10-bit, 4:2:2 or 4:4:4 input: converted to 8-bit yuv420p (#format);
 * - any codec this ffmpeg build decodes (H.264, HEVC, VP9, ProRes; AV1 natively with libdav1d —
 *   the wasm core has no software AV1 decoder and fails with FFMPEG_FAILED);
 * - clips with or without audio (aresample, #aresample-1, + apad, #apad; or anullsrc), a little
 *   shorter or longer than the segment (trim, or tpad holding the last frame, #tpad);
 * - still images (PNG, JPEG, WebP, …): decoded by sharp with their EXIF orientation applied
 *   (phone photos), then held for the whole clip.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import {
  audioFormatFilters,
  encodeCanonicalClip,
  frameAlignedSeconds,
  frameCount,
  silenceSource,
} from "./encoding";
import { assertPositiveSeconds, MediaError } from "./errors";
import { probeMedia } from "./probe";
import type { VideoProfile } from "./profile";

/** How a source of another aspect ratio meets the frame: whole picture with bars, or cropped to cover. */
export type Framing = "fit" | "fill";

export interface NormalizeOptions {
  /** Absolute path of the source: a video (any container/codec ffmpeg decodes) or a still image. */
  inputPath: string;
  /** Absolute path of the MP4 to write. */
  outPath: string;
  /** Output length in seconds (rounded to whole frames): longer input is cut, shorter holds its last frame. */
  seconds: number;
  profile: VideoProfile;
  /** "fit" (default): the whole picture, black bars; "fill": covers the frame, overflow cropped. */
  framing?: Framing;
}

/** ffmpeg demuxers of the still images sharp decodes (the file itself or its extension decides). */
const STILL_IMAGE_FORMATS = new Set(["image2", "png_pipe", "jpeg_pipe", "webp_pipe", "tiff_pipe"]);

/**
 * Re-encodes `inputPath` to the profile: H.264 High yuv420p at profile.width x profile.height
 * (framed as asked), upright, profile.fps constant, closed GOP of profile.gopSeconds; AAC at the
 * profile's sample rate and channels (silence when the source has none, padded with silence when
 * short); both tracks exactly round(seconds × fps) / fps long; MP4 +faststart.
 * @throws MediaError INVALID_INPUT for a non-positive length, an unknown framing, a source without
 *   video or an image sharp cannot decode; PROBE_FAILED / FFMPEG_FAILED when the source cannot be
 *   read or decoded.
 */
export async function normalizeClip(options: NormalizeOptions): Promise<void> {
  const { inputPath, seconds, framing = "fit" } = options;
  assertPositiveSeconds(seconds, "normalized clip length");
  if (framing !== "fit" && framing !== "fill") {
    throw new MediaError("INVALID_INPUT", `framing must be "fit" or "fill" (got "${framing}")`);
  }
  const source = await probeMedia(inputPath);
  if (!source.streams.some((stream) => stream.type === "video")) {
    throw new MediaError("INVALID_INPUT", `${inputPath} has no video stream`);
  }
  if (!STILL_IMAGE_FORMATS.has(source.formatName)) {
    const hasAudio = source.streams.some((stream) => stream.type === "audio");
    await encodeNormalized(inputPath, hasAudio, options, framing);
    return;
  }
  const workDir = await mkdtemp(path.join(tmpdir(), "kadr-still-"));
  try {
    const uprightPath = path.join(workDir, "upright.png");
    await sharp(inputPath)
      .rotate()
      .png({ compressionLevel: 1 })
      .toFile(uprightPath)
      .catch((error: unknown) => {
        throw new MediaError("INVALID_INPUT", `cannot decode image ${inputPath}: ${String(error)}`);
      });
    await encodeNormalized(uprightPath, false, options, framing);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function encodeNormalized(
  inputPath: string,
  hasAudio: boolean,
  { outPath, seconds, profile }: NormalizeOptions,
  framing: Framing,
): Promise<void> {
  const exactSeconds = frameAlignedSeconds(seconds, profile);
  const filterGraph = [
    `[0:v:0]${videoFilters(profile, frameCount(seconds, profile), framing)}[v]`,
    hasAudio
      ? `[0:a:0]aresample=async=1:first_pts=0,${audioFormatFilters(profile)},apad=whole_dur=${exactSeconds},atrim=end=${exactSeconds}[a]`
      : `${silenceSource(profile, exactSeconds)}[a]`,
  ].join(";");
  await encodeCanonicalClip(inputPath, filterGraph, profile, outPath);
}

/**
 * Square pixels (display aspect kept for anamorphic sources), framed (fit: inside + black bars;
 * fill: cover + centre crop), constant frame rate from t = 0, clone the last frame as long as
 * needed, keep `frames`, 8-bit 4:2:0.
 */
function videoFilters(profile: VideoProfile, frames: number, framing: Framing): string {
  const { width, height, fps } = profile;
  const framed =
    framing === "fit"
      ? [
          `scale=${width}:${height}:force_original_aspect_ratio=decrease:force_divisible_by=2`,
          `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:black`,
        ]
      : [`scale=${width}:${height}:force_original_aspect_ratio=increase`, `crop=${width}:${height}`];
  return [
    "scale=trunc(iw*sar/2)*2:ih",
    "setsar=1",
    ...framed,
    `fps=${fps}:start_time=0`,
    `tpad=stop_mode=clone:stop=${frames}`,
    `trim=end_frame=${frames}`,
    "format=yuv420p",
  ].join(",");
}
