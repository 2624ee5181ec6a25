/**
 * Telegram delivery rendition: bots may upload videos of at most 50 MB
 * (https://core.telegram.org/bots/api#sendvideo). A final video over the limit gets a second file
 * that fits; the original stays untouched for download.
 *
 * The rendition's video bitrate is what the byte budget leaves for the duration once the audio
 * (AAC, AUDIO_BITS_PER_SECOND) is reserved; x264 in average-bitrate mode
 * (https://trac.ffmpeg.org/wiki/Encode/H.264#AverageBitRate) aims a little below the budget and
 * the result is checked, re-encoding at a proportionally lower rate if it still overshoots. When
 * the bitrate leaves too few bits per pixel for a clean picture, the frame is scaled down
 * (https://ffmpeg.org/ffmpeg-filters.html#scale-1) until it does. Captions (mov_text) are copied.
 */
import { AUDIO_BITS_PER_SECOND, audioEncodeArgs, MP4_ARGS, videoEncodeArgs } from "./encoding";
import { MediaError } from "./errors";
import { getFfmpegBackend, runFfmpeg } from "./ffmpeg";
import { type MediaInfo, probeMedia } from "./probe";
import type { VideoProfile } from "./profile";

/** Telegram's upload limit for bots: 50 MB, read as 50 × 10⁶ bytes (the stricter reading). */
export const TELEGRAM_MAX_VIDEO_BYTES = 50_000_000;

export interface TelegramFitOptions {
  /** Absolute path of the video (any MP4 ffmpeg reads; the final video normally). */
  inputPath: string;
  /** Absolute path of the rendition to write when the input is too big. */
  outPath: string;
  /** Byte limit (default TELEGRAM_MAX_VIDEO_BYTES). */
  maxBytes?: number;
}

export interface TelegramFitResult {
  /** The file to send: inputPath when it already fits, else outPath. */
  path: string;
  /** True when a rendition was encoded. */
  reencoded: boolean;
  /** Size of `path` in bytes. */
  bytes: number;
  /** Frame size of `path` in px. */
  width: number;
  height: number;
  /** Video bitrate the rendition was encoded at, in bits per second (absent when not re-encoded). */
  videoBitsPerSecond?: number;
}

/** Share of the byte budget the first encode aims at: x264's ABR lands within a few percent. */
const FIRST_TARGET_SHARE = 0.92;
/** Below this many bits per pixel per frame H.264 turns blocky: downscale instead. */
const MIN_BITS_PER_PIXEL = 0.05;
/** The rendition's short side never drops below this many px (144p). */
const MIN_SHORT_SIDE = 144;
/** Below this video bitrate (bits/s) no rendition is worth sending. */
const MIN_VIDEO_BITS_PER_SECOND = 64_000;
const MAX_ATTEMPTS = 3;
/** GOP of the rendition in seconds: it is never cut, so longer GOPs buy quality. */
const RENDITION_GOP_SECONDS = 2;

/**
 * Returns the input when it is at most maxBytes; otherwise writes an H.264 High yuv420p + AAC
 * rendition (frame rate kept, size kept or scaled down, MP4 +faststart, subtitle tracks copied)
 * of at most maxBytes to outPath and returns that.
 * @throws MediaError INVALID_INPUT when the input has no video, or the budget leaves less than
 *   64 kbit/s of video for the duration (or is still exceeded after 3 encodes); PROBE_FAILED,
 *   FFMPEG_FAILED.
 */
export async function fitForTelegram(options: TelegramFitOptions): Promise<TelegramFitResult> {
  const { inputPath, outPath, maxBytes = TELEGRAM_MAX_VIDEO_BYTES } = options;
  const source = await probeMedia(inputPath);
  const video = source.streams.find((stream) => stream.type === "video");
  if (!video?.width || !video.height || !video.fps) {
    throw new MediaError("INVALID_INPUT", `${inputPath} has no video stream with a size and frame rate`);
  }
  if (source.bytes <= maxBytes) {
    return {
      path: inputPath,
      reencoded: false,
      bytes: source.bytes,
      width: video.width,
      height: video.height,
    };
  }
  const hasAudio = source.streams.some((stream) => stream.type === "audio");
  const audioBits = hasAudio ? AUDIO_BITS_PER_SECOND : 0;
  let budgetBytes = maxBytes * FIRST_TARGET_SHARE;
  let written = 0;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const videoBitsPerSecond = (budgetBytes * 8) / source.durationSeconds - audioBits;
    if (videoBitsPerSecond < MIN_VIDEO_BITS_PER_SECOND) {
      throw new MediaError(
        "INVALID_INPUT",
        `${source.durationSeconds.toFixed(1)} s of video do not fit ${maxBytes} bytes (${Math.round(videoBitsPerSecond)} bit/s of video left)`,
      );
    }
    const { width, height } = renditionSize(video.width, video.height, video.fps, videoBitsPerSecond);
    const profile: VideoProfile = {
      width,
      height,
      fps: video.fps,
      audioSampleRate: 48_000,
      audioChannels: 2,
      gopSeconds: RENDITION_GOP_SECONDS,
    };
    await encodeRendition(inputPath, outPath, source, profile, videoBitsPerSecond);
    written = (await probeMedia(outPath)).bytes;
    if (written <= maxBytes) {
      return { path: outPath, reencoded: true, bytes: written, width, height, videoBitsPerSecond };
    }
    budgetBytes *= (maxBytes / written) * FIRST_TARGET_SHARE;
  }
  throw new MediaError(
    "INVALID_INPUT",
    `rendition still ${written} bytes after ${MAX_ATTEMPTS} encodes (limit ${maxBytes})`,
  );
}

/**
 * The rendition's frame size in px: the source's `width` x `height` when `bitsPerSecond` (video
 * bitrate, bits/s) gives at least 0.05 bits per pixel and frame at `fps`, else scaled down by the
 * square root of the shortfall (aspect kept, even sides, short side ≥ 144 px).
 */
export function renditionSize(
  width: number,
  height: number,
  fps: number,
  bitsPerSecond: number,
): { width: number; height: number } {
  const bitsPerPixel = bitsPerSecond / (width * height * fps);
  if (bitsPerPixel >= MIN_BITS_PER_PIXEL) return { width, height };
  const minScale = MIN_SHORT_SIDE / Math.min(width, height);
  const scale = Math.min(1, Math.max(minScale, Math.sqrt(bitsPerPixel / MIN_BITS_PER_PIXEL)));
  const even = (px: number) => Math.max(2, Math.round(px / 2) * 2);
  return { width: even(width * scale), height: even(height * scale) };
}

async function encodeRendition(
  inputPath: string,
  outPath: string,
  source: MediaInfo,
  profile: VideoProfile,
  videoBitsPerSecond: number,
): Promise<void> {
  const hasAudio = source.streams.some((stream) => stream.type === "audio");
  const hasSubtitles = source.streams.some((stream) => stream.type === "subtitle");
  // biome-ignore format: one option/value pair per line
  const args = [
    "-i", inputPath,
    "-map", "0:v:0",
    "-vf", `scale=${profile.width}:${profile.height},setsar=1`,
    ...videoEncodeArgs(profile, await getFfmpegBackend(), videoBitsPerSecond),
    ...(hasAudio ? ["-map", "0:a:0", ...audioEncodeArgs(profile)] : []),
    ...(hasSubtitles ? ["-map", "0:s", "-c:s", "copy"] : []),
    ...MP4_ARGS,
    outPath,
  ];
  await runFfmpeg(args, { inputs: [inputPath], outputs: [outPath] });
}
