/**
 * The one encoder configuration every Kadr clip shares, so that normalized clips and re-encoded
 * transition windows can be stream-copied into one file (smart render).
 *
 * Stream-copy joins need byte-identical H.264 parameter sets (SPS/PPS) in every piece. x264 derives
 * them from its settings, so the settings that reach the SPS/PPS are pinned here, whatever the
 * speed preset (veryfast native, ultrafast wasm): High profile, CABAC, 8x8 transform, 1 reference
 * frame, no weighted prediction. B-frames are off so that decode order equals display order: cuts
 * at keyframes are then exact to the frame with the concat demuxer's inpoint/outpoint.
 * x264 options: https://ffmpeg.org/ffmpeg-codecs.html#libx264_002c-libx264rgb
 */
import { MediaError } from "./errors";
import { type FfmpegBackend, getFfmpegBackend, runFfmpeg } from "./ffmpeg";
import type { VideoProfile } from "./profile";

const PINNED_X264_PARAMS = "bframes=0:ref=1:cabac=1:8x8dct=1:weightp=0:weightb=0";
const CONSTANT_RATE_FACTOR = "20";
/** AAC bitrate of every encoded audio track, in bits per second. */
export const AUDIO_BITS_PER_SECOND = 128_000;

/** Frames in `seconds` at `profile.fps` (rounded to a whole frame, at least 1). */
export function frameCount(seconds: number, profile: VideoProfile): number {
  return Math.max(1, Math.round(seconds * profile.fps));
}

/** The duration in seconds of `seconds` rounded to whole frames: what the output really lasts. */
export function frameAlignedSeconds(seconds: number, profile: VideoProfile): number {
  return frameCount(seconds, profile) / profile.fps;
}

/**
 * Output options for H.264 High yuv420p at profile.fps, closed GOP with a keyframe every gopSeconds.
 * Quality-driven (CRF 20) unless `bitsPerSecond` asks for an average bitrate (x264 ABR, with a VBV
 * of maxrate 1.5× and buffer 2× the target to smooth peaks).
 */
export function videoEncodeArgs(
  profile: VideoProfile,
  backend: FfmpegBackend,
  bitsPerSecond?: number,
): string[] {
  const gop = String(Math.round(profile.fps * profile.gopSeconds));
  const rateControl =
    bitsPerSecond === undefined
      ? ["-crf", CONSTANT_RATE_FACTOR]
      : [
          ...["-b:v", String(Math.round(bitsPerSecond))],
          ...["-maxrate", String(Math.round(bitsPerSecond * 1.5))],
          ...["-bufsize", String(Math.round(bitsPerSecond * 2))],
        ];
  // biome-ignore format: one option/value pair per line
  return [
    "-c:v", "libx264",
    "-preset", backend === "native" ? "veryfast" : "ultrafast",
    ...rateControl,
    "-profile:v", "high",
    "-pix_fmt", "yuv420p",
    "-x264-params", PINNED_X264_PARAMS,
    "-g", gop,
    "-keyint_min", gop,
    "-sc_threshold", "0",
    "-flags", "+cgop",
    "-r", String(profile.fps),
  ];
}

/** Output options for AAC-LC at the profile's sample rate (Hz) and channel count. */
export function audioEncodeArgs(profile: VideoProfile): string[] {
  // biome-ignore format: one option/value pair per line
  return [
    "-c:a", "aac",
    "-b:a", String(AUDIO_BITS_PER_SECOND),
    "-ar", String(profile.audioSampleRate),
    "-ac", String(profile.audioChannels),
  ];
}

/** MP4 with the index (moov) first, so players and Telegram can start before the download ends. */
export const MP4_ARGS = ["-f", "mp4", "-movflags", "+faststart"];

/** A filter-graph source of `seconds` of digital silence in the profile's sample rate and layout. */
export function silenceSource(profile: VideoProfile, seconds: number): string {
  return `anullsrc=r=${profile.audioSampleRate}:cl=${channelLayout(profile)}:d=${seconds}`;
}

/** Filters that convert any audio to the profile's sample rate (Hz), channel layout and float planar. */
export function audioFormatFilters(profile: VideoProfile): string {
  return `aresample=${profile.audioSampleRate},aformat=sample_fmts=fltp:channel_layouts=${channelLayout(profile)}`;
}

function channelLayout(profile: VideoProfile): string {
  if (profile.audioChannels === 1) return "mono";
  if (profile.audioChannels === 2) return "stereo";
  throw new MediaError("INVALID_INPUT", `unsupported audio channel count ${profile.audioChannels}`);
}

/**
 * Encodes one input through `filterGraph` (which must label its outputs `[v]` and `[a]`) into a
 * canonical-profile MP4 at `outPath`.
 * @throws MediaError FFMPEG_FAILED when ffmpeg rejects the graph or the input.
 */
export async function encodeCanonicalClip(
  inputPath: string,
  filterGraph: string,
  profile: VideoProfile,
  outPath: string,
): Promise<void> {
  const backend = await getFfmpegBackend();
  // biome-ignore format: one option/value pair per line
  const args = [
    "-i", inputPath,
    "-filter_complex", filterGraph,
    "-map", "[v]", "-map", "[a]",
    ...videoEncodeArgs(profile, backend),
    ...audioEncodeArgs(profile),
    ...MP4_ARGS,
    outPath,
  ];
  await runFfmpeg(args, { inputs: [inputPath], outputs: [outPath] });
}
