/**
 * Posters and thumbnails: a frame is taken from the video with ffmpeg (either backend), then
 * resized and encoded with sharp (https://sharp.pixelplumbing.com/api-output).
 *
 * - poster: the frame at ~1 s at full size, JPEG and WebP (player poster, share previews);
 * - grid thumbnails: a segment image or a clip's first frame, 320 px wide WebP;
 * - Telegram thumbnail: JPEG at most 320 px on its long side and under 200 kB, as the Bot API
 *   requires of `thumbnail` (https://core.telegram.org/bots/api#sendvideo).
 *
 * Frame extraction seeks with -ss before -i, which ffmpeg makes frame-exact when decoding
 * (https://ffmpeg.org/ffmpeg.html#Main-options).
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp, { type OutputInfo, type Sharp } from "sharp";
import { MediaError } from "./errors";
import { runFfmpeg } from "./ffmpeg";
import { probeMedia } from "./probe";

export interface ImageFile {
  /** Absolute path of the written image. */
  path: string;
  /** Size in px. */
  width: number;
  height: number;
  /** File size in bytes. */
  bytes: number;
}

export interface PosterOptions {
  /** Absolute path of the video. */
  videoPath: string;
  /** Absolute paths of the JPEG and WebP to write. */
  jpegPath: string;
  webpPath: string;
  /** Where to take the frame, in seconds (default 1; the middle of a video shorter than twice that). */
  atSeconds?: number;
}

/** Width in px of grid thumbnails. */
export const GRID_THUMBNAIL_WIDTH = 320;
/** Telegram's limits for a video thumbnail: long side in px, size in bytes (200 kB). */
export const TELEGRAM_THUMBNAIL_MAX_SIDE = 320;
export const TELEGRAM_THUMBNAIL_MAX_BYTES = 200_000;

const DEFAULT_POSTER_SECONDS = 1;
const POSTER_JPEG_QUALITY = 85;
const WEBP_QUALITY = 80;
/** JPEG qualities tried in turn until the Telegram thumbnail fits its byte limit. */
const TELEGRAM_JPEG_QUALITIES = [85, 75, 65, 50, 35, 20];

/**
 * Writes the poster of a video: the frame at `atSeconds` at the video's full size, as JPEG
 * (quality 85) and WebP (quality 80).
 * @throws MediaError PROBE_FAILED / FFMPEG_FAILED when the video cannot be read.
 */
export async function writePoster(options: PosterOptions): Promise<{ jpeg: ImageFile; webp: ImageFile }> {
  const { videoPath, jpegPath, webpPath } = options;
  const { durationSeconds } = await probeMedia(videoPath);
  const requested = options.atSeconds ?? DEFAULT_POSTER_SECONDS;
  const atSeconds = durationSeconds > 2 * requested ? requested : durationSeconds / 2;
  return withFrame(videoPath, atSeconds, async (frame) => ({
    jpeg: await writeImage(sharp(frame).jpeg({ quality: POSTER_JPEG_QUALITY, mozjpeg: true }), jpegPath),
    webp: await writeImage(sharp(frame).webp({ quality: WEBP_QUALITY }), webpPath),
  }));
}

/**
 * Writes a grid thumbnail of a still image (PNG, JPEG, WebP; EXIF orientation applied): WebP,
 * `widthPx` wide (default 320, never enlarged), aspect kept.
 * @throws MediaError INVALID_INPUT when the image cannot be decoded.
 */
export async function writeImageThumbnail(
  imagePath: string,
  outPath: string,
  widthPx = GRID_THUMBNAIL_WIDTH,
): Promise<ImageFile> {
  const pipeline = sharp(imagePath)
    .rotate()
    .resize({ width: widthPx, withoutEnlargement: true })
    .webp({ quality: WEBP_QUALITY });
  return writeImage(pipeline, outPath);
}

/**
 * Writes a grid thumbnail of a clip's first frame: WebP, `widthPx` wide (default 320), aspect kept.
 * @throws MediaError FFMPEG_FAILED when the clip cannot be decoded.
 */
export async function writeClipThumbnail(
  clipPath: string,
  outPath: string,
  widthPx = GRID_THUMBNAIL_WIDTH,
): Promise<ImageFile> {
  return withFrame(clipPath, 0, (frame) => writeImageThumbnail(frame, outPath, widthPx));
}

/**
 * Writes a Telegram thumbnail from an image (a poster, a segment image): JPEG at most 320 px on its
 * long side (never enlarged), at the highest quality of 85, 75, …, 20 that stays ≤ maxBytes.
 * @throws MediaError INVALID_INPUT when the image cannot be decoded, or does not fit maxBytes even
 *   at quality 20.
 */
export async function writeTelegramThumbnail(
  imagePath: string,
  outPath: string,
  maxBytes = TELEGRAM_THUMBNAIL_MAX_BYTES,
): Promise<ImageFile> {
  const side = TELEGRAM_THUMBNAIL_MAX_SIDE;
  const resized = sharp(imagePath)
    .rotate()
    .resize({ width: side, height: side, fit: "inside", withoutEnlargement: true });
  let smallest = "";
  for (const quality of TELEGRAM_JPEG_QUALITIES) {
    const { data, info } = await encoded(resized.clone().jpeg({ quality, mozjpeg: true }), imagePath);
    if (data.length <= maxBytes) {
      await writeFile(outPath, data);
      return { path: outPath, width: info.width, height: info.height, bytes: data.length };
    }
    smallest = `${data.length} bytes at ${info.width}x${info.height}, quality ${quality}`;
  }
  throw new MediaError("INVALID_INPUT", `${imagePath} does not fit a ${maxBytes}-byte JPEG (${smallest})`);
}

/** Extracts the frame shown at `atSeconds` as a PNG in a temp dir, runs `task` on it, cleans up. */
async function withFrame<T>(videoPath: string, atSeconds: number, task: (framePath: string) => Promise<T>) {
  const dir = await mkdtemp(path.join(tmpdir(), "kadr-frame-"));
  try {
    const framePath = path.join(dir, "frame.png");
    // biome-ignore format: one option/value pair per line
    const args = [
      "-ss", String(atSeconds), "-i", videoPath,
      "-frames:v", "1",
      "-update", "1",
      framePath,
    ];
    await runFfmpeg(args, { inputs: [videoPath], outputs: [framePath] });
    return await task(framePath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Encodes `pipeline`, turning sharp's decode errors into INVALID_INPUT. */
async function encoded(pipeline: Sharp, source: string): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new MediaError("INVALID_INPUT", `cannot read image ${source}: ${String(error)}`);
  }
}

async function writeImage(pipeline: Sharp, outPath: string): Promise<ImageFile> {
  try {
    const info = await pipeline.toFile(outPath);
    return { path: outPath, width: info.width, height: info.height, bytes: (await stat(outPath)).size };
  } catch (error) {
    throw new MediaError("INVALID_INPUT", `cannot make ${outPath}: ${String(error)}`);
  }
}
