/**
 * Normalization: any provider clip → the job's canonical profile, once, when the clip is produced,
 * so the final assembly can stream-copy it.
 *
 * Filters: scale (fit inside, https://ffmpeg.org/ffmpeg-filters.html#scale-1) + pad (letterbox or
 * pillarbox, #pad), fps (#fps), tpad (hold the last frame, #tpad); audio through aresample
 * (#aresample-1) + apad (#apad), or anullsrc when the clip has no audio.
 */
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

export interface NormalizeOptions {
  /** Absolute path of the source video (any container/codec ffmpeg decodes). */
  inputPath: string;
  /** Absolute path of the MP4 to write. */
  outPath: string;
  /** Output length in seconds (rounded to whole frames): longer input is cut, shorter holds its last frame. */
  seconds: number;
  profile: VideoProfile;
}

/**
 * Re-encodes `inputPath` to the profile: H.264 High yuv420p at profile.width x profile.height
 * (aspect kept, black bars), profile.fps, closed GOP of profile.gopSeconds; AAC at the profile's
 * sample rate and channels (silence when the source has no audio, padded with silence when short);
 * both tracks exactly round(seconds × fps) / fps long; MP4 +faststart.
 * @throws MediaError INVALID_INPUT for a non-positive length or a source without video;
 *   PROBE_FAILED / FFMPEG_FAILED when the source cannot be read.
 */
export async function normalizeClip(options: NormalizeOptions): Promise<void> {
  const { inputPath, outPath, seconds, profile } = options;
  assertPositiveSeconds(seconds, "normalized clip length");
  const source = await probeMedia(inputPath);
  if (!source.streams.some((stream) => stream.type === "video")) {
    throw new MediaError("INVALID_INPUT", `${inputPath} has no video stream`);
  }
  const hasAudio = source.streams.some((stream) => stream.type === "audio");
  const exactSeconds = frameAlignedSeconds(seconds, profile);
  const filterGraph = [
    `[0:v:0]${fitVideoFilters(profile, frameCount(seconds, profile))}[v]`,
    hasAudio
      ? `[0:a:0]aresample=async=1:first_pts=0,${audioFormatFilters(profile)},apad=whole_dur=${exactSeconds},atrim=end=${exactSeconds}[a]`
      : `${silenceSource(profile, exactSeconds)}[a]`,
  ].join(";");
  await encodeCanonicalClip(inputPath, filterGraph, profile, outPath);
}

/**
 * Square pixels (display aspect kept for anamorphic sources), fit inside the frame, centre on
 * black, constant frame rate from t = 0, clone the last frame as long as needed, keep `frames`.
 */
function fitVideoFilters(profile: VideoProfile, frames: number): string {
  const { width, height, fps } = profile;
  return [
    "scale=trunc(iw*sar/2)*2:ih",
    "setsar=1",
    `scale=${width}:${height}:force_original_aspect_ratio=decrease:force_divisible_by=2`,
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:black`,
    `fps=${fps}:start_time=0`,
    `tpad=stop_mode=clone:stop=${frames}`,
    `trim=end_frame=${frames}`,
    "format=yuv420p",
  ].join(",");
}
