/**
 * Real media bytes for the provider fakes, so the clients' decoding, normalizing and storing code
 * runs on genuine files: PNG (sharp), H.264/AAC MP4 (ffmpeg lavfi testsrc + sine), 16-bit PCM and
 * MP3 audio. Each distinct file is generated once per process (memoized). Test-only.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { runFfmpeg } from "@/lib/media/ffmpeg";
import { pcm16ToWav } from "../tts/wav";

const cache = new Map<string, Promise<Buffer>>();
let scratch: Promise<string> | undefined;

function memo(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
  let value = cache.get(key);
  if (!value) {
    value = make();
    cache.set(key, value);
    value.catch(() => cache.delete(key));
  }
  return value;
}

function scratchDir(): Promise<string> {
  scratch ??= mkdtemp(path.join(os.tmpdir(), "kadr-fake-media-"));
  return scratch;
}

/** A `width × height` RGB PNG: a two-colour diagonal gradient (colours from `seed`). */
export function fakePng(width: number, height: number, seed = 0): Promise<Buffer> {
  return memo(`png:${width}x${height}:${seed}`, () => {
    const hue = (seed * 47) % 360;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},70%,60%)"/>` +
      `<stop offset="1" stop-color="hsl(${(hue + 140) % 360},60%,30%)"/></linearGradient></defs>` +
      `<rect width="${width}" height="${height}" fill="url(#g)"/></svg>`;
    return sharp(Buffer.from(svg)).removeAlpha().png().toBuffer();
  });
}

/**
 * An MP4 clip: ffmpeg's `testsrc` pattern at `width × height`, 24 fps, H.264 yuv420p, with a
 * 440 Hz AAC tone (or no audio track when `audio` is false), `seconds` long.
 */
export function fakeMp4(seconds: number, width: number, height: number, audio = true): Promise<Buffer> {
  return memo(`mp4:${seconds}:${width}x${height}:${audio}`, async () => {
    const out = path.join(await scratchDir(), `clip-${seconds}-${width}x${height}-${audio}.mp4`);
    const audioArgs = audio
      ? ["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=44100:duration=${seconds}`]
      : [];
    await runFfmpeg(
      [
        "-f",
        "lavfi",
        "-i",
        `testsrc=size=${width}x${height}:rate=24:duration=${seconds}`,
        ...audioArgs,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        ...(audio ? ["-c:a", "aac", "-b:a", "64k"] : []),
        "-shortest",
        out,
      ],
      { inputs: [], outputs: [out] },
    );
    return readFile(out);
  });
}

/** Raw 16-bit little-endian mono PCM at `sampleRate` Hz: a quiet 220 Hz tone, `seconds` long. */
export function fakePcm16(seconds: number, sampleRate: number): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    pcm.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / sampleRate)), i * 2);
  }
  return pcm;
}

/** A RIFF/WAVE file (16-bit PCM mono) wrapping `fakePcm16(seconds, sampleRate)`. */
export function fakeWav(seconds: number, sampleRate: number): Buffer {
  return pcm16ToWav(fakePcm16(seconds, sampleRate), sampleRate);
}

/** An MP3 (libmp3lame, 44.1 kHz mono) of a 220 Hz tone, `seconds` long. */
export function fakeMp3(seconds: number): Promise<Buffer> {
  return memo(`mp3:${seconds}`, async () => {
    const out = path.join(await scratchDir(), `tone-${seconds}.mp3`);
    await runFfmpeg(
      [
        "-f",
        "lavfi",
        "-i",
        `sine=frequency=220:sample_rate=44100:duration=${seconds}`,
        "-ac",
        "1",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "64k",
        out,
      ],
      { inputs: [], outputs: [out] },
    );
    return readFile(out);
  });
}
