import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFfmpeg } from "./ffmpeg";
import { probeMedia } from "./probe";
import { fitForTelegram, renditionSize, TELEGRAM_MAX_VIDEO_BYTES } from "./telegram";
import {
  audioStream,
  makeTempDir,
  subtitleCues,
  videoStream,
  withEnv,
  writeNoisyVideo,
} from "./test-support";

let dir: string;
let cleanup: () => Promise<void>;
/** 4 s of 640x360 24 fps noisy test pattern at QP 8 (~ tens of Mbit/s), AAC tone, one caption. */
let heavy: string;
const sha256 = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  const captions = path.join(dir, "captions.vtt");
  await writeFile(captions, "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nStill here\n");
  heavy = path.join(dir, "heavy.mp4");
  // biome-ignore format: one option/value pair per line
  await runFfmpeg(
    [
      "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=24,noise=alls=30:allf=t",
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-i", captions,
      "-map", "0:v", "-map", "1:a", "-map", "2:s",
      "-t", "4",
      "-c:v", "libx264", "-preset", "ultrafast", "-qp", "8", "-pix_fmt", "yuv420p",
      "-c:a", "aac", "-c:s", "mov_text",
      heavy,
    ],
    { inputs: [captions], outputs: [heavy] },
  );
});
afterAll(() => cleanup());

describe("fitForTelegram", () => {
  it("encodes a rendition under the byte limit at the same size, keeping the original and the captions", async () => {
    const before = await probeMedia(heavy);
    const originalHash = await sha256(heavy);
    expect(before.bytes).toBeGreaterThan(4_000_000);
    const outPath = path.join(dir, "fit-2mb.mp4");

    const fitted = await fitForTelegram({ inputPath: heavy, outPath, maxBytes: 2_000_000 });

    expect(fitted).toMatchObject({ path: outPath, reencoded: true, width: 640, height: 360 });
    const after = await probeMedia(outPath);
    expect(after.bytes).toBe(fitted.bytes);
    expect(after.bytes).toBeLessThanOrEqual(2_000_000);
    // The budget is used, not wasted: at least 70% of it.
    expect(after.bytes).toBeGreaterThan(1_400_000);
    expect(after.durationSeconds).toBeCloseTo(4, 1);
    expect(videoStream(after)).toMatchObject({ codec: "h264", profile: "High", pixFmt: "yuv420p", fps: 24 });
    expect(audioStream(after)).toMatchObject({ codec: "aac", sampleRate: 48_000 });
    expect(await subtitleCues(outPath)).toEqual([{ startSeconds: 0.5, endSeconds: 2, text: "Still here" }]);
    expect(await sha256(heavy)).toBe(originalHash);
  });

  it("fits the same way on the wasm backend: same limit, size, codec settings and captions", async () => {
    const fitOn = (backend: "native" | "wasm") =>
      withEnv({ KADR_FFMPEG: backend }, () =>
        fitForTelegram({
          inputPath: heavy,
          outPath: path.join(dir, `fit-1mb-${backend}.mp4`),
          maxBytes: 1_000_000,
        }),
      );
    const native = await fitOn("native");
    const wasm = await fitOn("wasm");

    expect(wasm).toMatchObject({ reencoded: true, width: native.width, height: native.height });
    const [nativeInfo, wasmInfo] = await Promise.all([probeMedia(native.path), probeMedia(wasm.path)]);
    expect(wasmInfo.bytes).toBeLessThanOrEqual(1_000_000);
    expect(wasmInfo.bytes).toBeGreaterThan(700_000);
    expect(wasmInfo.durationSeconds).toBeCloseTo(nativeInfo.durationSeconds, 1);
    const comparable = (info: typeof wasmInfo) =>
      info.streams.map(
        ({ type, codec, profile, width, height, fps, pixFmt, sampleRate, channels, frameCount }) => ({
          type,
          codec,
          profile,
          width,
          height,
          fps,
          pixFmt,
          sampleRate,
          channels,
          frameCount,
        }),
      );
    expect(comparable(wasmInfo)).toEqual(comparable(nativeInfo));
    expect(await subtitleCues(wasm.path)).toEqual(await subtitleCues(native.path));
  });

  it("scales the frame down when the bitrate leaves too few bits per pixel", async () => {
    const outPath = path.join(dir, "fit-150kb.mp4");
    const fitted = await fitForTelegram({ inputPath: heavy, outPath, maxBytes: 150_000 });

    const after = await probeMedia(outPath);
    expect(after.bytes).toBeLessThanOrEqual(150_000);
    const { width = 0, height = 0 } = videoStream(after);
    expect([width, height]).toEqual([fitted.width, fitted.height]);
    expect(height).toBeLessThan(360);
    expect(height).toBeGreaterThanOrEqual(144);
    expect(width / height).toBeCloseTo(16 / 9, 1);
  });

  it("returns the input itself when it already fits", async () => {
    const fitted = await fitForTelegram({ inputPath: heavy, outPath: path.join(dir, "unused.mp4") });
    expect(fitted).toMatchObject({ path: heavy, reencoded: false, width: 640, height: 360 });
  });

  it("refuses a limit that leaves less than 64 kbit/s of video", async () => {
    await expect(
      fitForTelegram({ inputPath: heavy, outPath: path.join(dir, "never.mp4"), maxBytes: 60_000 }),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringMatching(/do not fit 60000 bytes/),
    });
  });
});

describe("fitForTelegram at the real 50 MB limit", () => {
  it("fits a 120 s, ~77 MB input under 50,000,000 bytes with the duration kept to the frame", async () => {
    // 120 s of 320x180 24 fps heavy noise at QP 32 (~5 Mbit/s, ~77 MB) with an AAC tone: generated
    // in ~5 s; the ~3 Mbit/s rendition takes ~35 s on 2 shared cores (~42 s for the whole test).
    const long = await writeNoisyVideo(path.join(dir, "long.mp4"), {
      seconds: 120,
      width: 320,
      height: 180,
      noise: 40,
      qp: 32,
    });
    const before = await probeMedia(long);
    // Over the limit under either reading of "50 MB" (10^6 or 2^20 bytes).
    expect(before.bytes).toBeGreaterThan(52_428_800);
    expect(TELEGRAM_MAX_VIDEO_BYTES).toBe(50_000_000);
    const outPath = path.join(dir, "fit-50mb.mp4");

    const fitted = await fitForTelegram({ inputPath: long, outPath });

    expect(fitted).toMatchObject({ path: outPath, reencoded: true, width: 320, height: 180 });
    const after = await probeMedia(outPath);
    expect(after.bytes).toBe(fitted.bytes);
    expect(after.bytes).toBeLessThanOrEqual(50_000_000);
    // The budget is used: at least 70% of it.
    expect(after.bytes).toBeGreaterThan(35_000_000);
    const frame = 1 / 24;
    expect(Math.abs(after.durationSeconds - before.durationSeconds)).toBeLessThanOrEqual(frame);
    const [inVideo, outVideo] = [videoStream(before), videoStream(after)];
    expect(Math.abs((outVideo.durationSeconds ?? 0) - (inVideo.durationSeconds ?? 0))).toBeLessThanOrEqual(
      frame,
    );
    expect(Math.abs((outVideo.frameCount ?? 0) - (inVideo.frameCount ?? 0))).toBeLessThanOrEqual(1);
    expect(outVideo).toMatchObject({ codec: "h264", profile: "High", pixFmt: "yuv420p", fps: 24 });
    expect(audioStream(after)).toMatchObject({ codec: "aac", sampleRate: 48_000 });
  }, 180_000);
});

describe("renditionSize", () => {
  it("keeps the size while there are ≥ 0.05 bits per pixel and frame", () => {
    expect(renditionSize(1280, 720, 24, 1_200_000)).toEqual({ width: 1280, height: 720 });
  });

  it("scales by the square root of the shortfall, to even sides, never below 144 px", () => {
    // 0.0125 bit/px is a quarter of the minimum: half the width and height.
    expect(renditionSize(1280, 720, 24, 276_480)).toEqual({ width: 640, height: 360 });
    expect(renditionSize(1280, 720, 24, 1_000)).toEqual({ width: 256, height: 144 });
  });
});
