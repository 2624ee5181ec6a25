import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleVideo } from "./assemble";
import { extendVideo } from "./extend";
import { renderKenBurnsClip } from "./kenburns";
import { encodeNarration } from "./narration";
import { normalizeClip } from "./normalize";
import { probeMedia } from "./probe";
import {
  audioStream,
  frameRgbAt,
  makeTempDir,
  maxVolumeDb,
  renderLavfi,
  SMALL_PROFILE,
  subtitleCues,
  videoStream,
  withEnv,
  writeSolidImage,
} from "./test-support";

const STILL = { zoomFrom: 1, zoomTo: 1, panX: 0, panY: 0 };

let dir: string;
let cleanup: () => Promise<void>;
/** 3.5 s: red intro (2 s) crossfading into green (2 s), silent, Russian captions. */
let finished: string;
/** 2 s normalized blue clip with a 660 Hz tone. */
let blueWithTone: string;
/** 2 s silent yellow Ken Burns clip, as the local pipeline makes them, and 0.3 s of speech stand-in. */
let silentYellow: string;
let beep: string;
const sha256 = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  const colourClip = async (name: string, rgb: [number, number, number]) => {
    const outPath = path.join(dir, `${name}.mp4`);
    const imagePath = await writeSolidImage(path.join(dir, `${name}.png`), rgb);
    await renderKenBurnsClip({ imagePath, outPath, seconds: 2, profile: SMALL_PROFILE, motion: STILL });
    return outPath;
  };
  const [red, green] = await Promise.all([colourClip("red", [255, 0, 0]), colourClip("green", [0, 255, 0])]);
  const narrationPath = path.join(dir, "silence.m4a");
  await encodeNarration({ cues: [], totalSeconds: 3.5, outPath: narrationPath, profile: SMALL_PROFILE });
  finished = path.join(dir, "finished.mp4");
  await assembleVideo({
    clips: [
      { path: red, seconds: 2, section: "intro" },
      { path: green, seconds: 2, section: "main" },
    ],
    narrationPath,
    profile: SMALL_PROFILE,
    outPath: finished,
    captions: ["Первый.", "Второй."],
    captionLanguage: "rus",
  });
  const source = await renderLavfi(
    path.join(dir, "blue-tone-source.mp4"),
    ["color=blue:size=320x180:rate=24", "sine=frequency=660:sample_rate=48000"],
    2,
    ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
  );
  blueWithTone = path.join(dir, "blue-tone.mp4");
  await normalizeClip({ inputPath: source, outPath: blueWithTone, seconds: 2, profile: SMALL_PROFILE });
  silentYellow = await colourClip("yellow", [255, 255, 0]);
  beep = await renderLavfi(path.join(dir, "beep.wav"), ["sine=frequency=500:sample_rate=22050"], 0.3, [
    "-c:a",
    "pcm_s16le",
  ]);
});
afterAll(() => cleanup());

describe("extendVideo", () => {
  it("crossfades the new clip's video and audio onto the end, keeping the original and its captions", async () => {
    const originalHash = await sha256(finished);
    const outPath = path.join(dir, "extended.mp4");

    const result = await extendVideo({
      videoPath: finished,
      clipPath: blueWithTone,
      outPath,
      profile: SMALL_PROFILE,
      crossfadeSeconds: 0.5,
      captionText: "Третий.",
    });

    // 3.5 s + 2 s − 0.5 s; the blue clip starts at 3 s.
    expect(result).toMatchObject({ mode: "smart" });
    expect(result.durationSeconds).toBeCloseTo(5, 1);
    const info = await probeMedia(outPath);
    expect(videoStream(info)).toMatchObject({ codec: "h264", width: 320, height: 180, frameCount: 120 });
    expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
    expect(audioStream(info).durationSeconds).toBeCloseTo(5, 1);
    const expectColour = (actual: number[], expected: number[]) =>
      expect(Math.max(...actual.map((channel, index) => Math.abs(channel - expected[index]!)))).toBeLessThan(
        24,
      );
    expectColour(await frameRgbAt(outPath, 2.5), [0, 255, 0]);
    expectColour(await frameRgbAt(outPath, 3.25), [0, 128, 128]);
    expectColour(await frameRgbAt(outPath, 4.5), [0, 0, 255]);
    // Silence until the fade, the tone rising through it, at full level after it.
    expect(await maxVolumeDb(outPath, 1, 1.9)).toBeLessThan(-60);
    const duringFade = await maxVolumeDb(outPath, 3.15, 0.2);
    const afterFade = await maxVolumeDb(outPath, 3.7, 1);
    expect(afterFade).toBeGreaterThan(-25);
    expect(duringFade).toBeLessThan(afterFade - 2);
    expect(duringFade).toBeGreaterThan(afterFade - 15);
    expect(info.streams.find((stream) => stream.type === "subtitle")?.language).toBe("rus");
    expect(await subtitleCues(outPath)).toEqual([
      { startSeconds: 0, endSeconds: 1.5, text: "Первый." },
      { startSeconds: 1.5, endSeconds: 3, text: "Второй." },
      { startSeconds: 3, endSeconds: 5, text: "Третий." },
    ]);
    expect(await sha256(finished)).toBe(originalHash);
  });

  it("mixes the new segment's speech in from the start of its crossfade", async () => {
    const outPath = path.join(dir, "narrated.mp4");
    const result = await extendVideo({
      videoPath: finished,
      clipPath: silentYellow,
      outPath,
      profile: SMALL_PROFILE,
      narrationPath: beep,
    });

    expect(result.durationSeconds).toBeCloseTo(5, 1);
    expect(await maxVolumeDb(outPath, 2, 0.95)).toBeLessThan(-60);
    expect(await maxVolumeDb(outPath, 3.02, 0.25)).toBeGreaterThan(-30);
    expect(await maxVolumeDb(outPath, 3.4, 1.6)).toBeLessThan(-60);
  });

  it("extends the same way on the wasm backend", async () => {
    const extend = (backend: "native" | "wasm") =>
      withEnv({ KADR_FFMPEG: backend }, () =>
        extendVideo({
          videoPath: finished,
          clipPath: blueWithTone,
          outPath: path.join(dir, `extended-${backend}.mp4`),
          profile: SMALL_PROFILE,
          narrationPath: beep,
          captionText: "Третий.",
        }),
      );
    const native = await extend("native");
    const wasm = await extend("wasm");

    expect(wasm).toMatchObject({ mode: native.mode });
    expect(wasm.durationSeconds).toBeCloseTo(native.durationSeconds, 2);
    const file = path.join(dir, "extended-wasm.mp4");
    const [nativeInfo, wasmInfo] = await Promise.all([
      probeMedia(path.join(dir, "extended-native.mp4")),
      probeMedia(file),
    ]);
    const comparable = (info: typeof wasmInfo) =>
      info.streams.map(
        ({
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
          language,
        }) => ({
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
          language,
        }),
      );
    expect(comparable(wasmInfo)).toEqual(comparable(nativeInfo));
    expect(videoStream(wasmInfo).frameCount).toBe(120);
    expect(await subtitleCues(file)).toEqual(await subtitleCues(path.join(dir, "extended-native.mp4")));
    expect(
      Math.max(
        ...(await frameRgbAt(file, 4.5)).map((channel, index) => Math.abs(channel - [0, 0, 255][index]!)),
      ),
    ).toBeLessThan(24);
    // The new segment's speech starts with its crossfade at 3 s.
    expect(await maxVolumeDb(file, 3.02, 0.25)).toBeGreaterThan(-30);
    expect(await maxVolumeDb(file, 1, 1.9)).toBeLessThan(-60);
  });

  it("refuses to overwrite the video it extends", async () => {
    await expect(
      extendVideo({ videoPath: finished, clipPath: blueWithTone, outPath: finished, profile: SMALL_PROFILE }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/never overwrites/) });
  });

  it.each([0, 0.1, 3])("rejects a crossfade of %s s", async (crossfadeSeconds) => {
    const outPath = path.join(dir, `bad-fade-${crossfadeSeconds}.mp4`);
    await expect(
      extendVideo({
        videoPath: finished,
        clipPath: blueWithTone,
        outPath,
        profile: SMALL_PROFILE,
        crossfadeSeconds,
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
