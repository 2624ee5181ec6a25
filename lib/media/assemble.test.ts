import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AssemblyClip, assembleFull, assembleVideo } from "./assemble";
import { runFfmpeg } from "./ffmpeg";
import { renderKenBurnsClip } from "./kenburns";
import { encodeNarration } from "./narration";
import { probeMedia } from "./probe";
import {
  audioStream,
  frameRgbAt,
  makeTempDir,
  maxVolumeDb,
  renderLavfi,
  SMALL_PROFILE,
  videoPackets,
  videoStream,
  withEnv,
  writeSolidImage,
} from "./test-support";
import type { Section } from "./timeline";

const STILL = { zoomFrom: 1, zoomTo: 1, panX: 0, panY: 0 };
const RED: [number, number, number] = [255, 0, 0];
const GREEN: [number, number, number] = [0, 255, 0];
const BLUE: [number, number, number] = [0, 0, 255];
const WHITE: [number, number, number] = [255, 255, 255];

let dir: string;
let cleanup: () => Promise<void>;
let beep: string;

/** A 2 s normalized clip of one colour. */
async function colourClip(
  name: string,
  rgb: [number, number, number],
  section: Section,
): Promise<AssemblyClip> {
  const imagePath = await writeSolidImage(path.join(dir, `${name}.png`), rgb);
  const outPath = path.join(dir, `${name}.mp4`);
  await renderKenBurnsClip({ imagePath, outPath, seconds: 2, profile: SMALL_PROFILE, motion: STILL });
  return { path: outPath, seconds: 2, section };
}

/** Narration of `totalSeconds` with a 0.3 s beep at each start time. */
async function beeps(name: string, startTimes: number[], totalSeconds: number): Promise<string> {
  const outPath = path.join(dir, name);
  const cues = startTimes.map((startSeconds) => ({ audioPath: beep, startSeconds }));
  await encodeNarration({ cues, totalSeconds, outPath, profile: SMALL_PROFILE });
  return outPath;
}

/** Decodes the whole file; returns ffmpeg's error output ("" for a clean stream). */
async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await runFfmpeg(["-v", "error", "-i", file, "-f", "null", "-"], {
    inputs: [file],
    outputs: [],
  });
  return stderr.trim();
}

function expectColour(actual: number[], expected: number[]) {
  const deviation = Math.max(...actual.map((channel, index) => Math.abs(channel - expected[index]!)));
  expect(deviation, `rgb(${actual}) should be close to rgb(${expected})`).toBeLessThan(24);
}

let intro: AssemblyClip;
let mainA: AssemblyClip;
let mainB: AssemblyClip;
let outro: AssemblyClip;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  beep = await renderLavfi(path.join(dir, "beep.wav"), ["sine=frequency=500:sample_rate=22050"], 0.3, [
    "-c:a",
    "pcm_s16le",
  ]);
  [intro, mainA, mainB, outro] = await Promise.all([
    colourClip("intro", RED, "intro"),
    colourClip("main-a", GREEN, "main"),
    colourClip("main-b", BLUE, "main"),
    colourClip("outro", WHITE, "outro"),
  ]);
});
afterAll(() => cleanup());

describe("assembleVideo", () => {
  it("crossfades at the two section boundaries, like the full re-encode, and lays the narration under it", async () => {
    // 4 × 2 s − 2 boundaries × 0.5 s; segments start at 0, 1.5, 3.5 and 5 s.
    const narrationPath = await beeps("three-sections.m4a", [0, 1.5, 3.5, 5], 7);
    const clips = [intro, mainA, mainB, outro];
    const common = { clips, narrationPath, crossfadeSeconds: 0.5, profile: SMALL_PROFILE };
    const smartPath = path.join(dir, "smart.mp4");
    const fullPath = path.join(dir, "full.mp4");

    const smart = await assembleVideo({ ...common, outPath: smartPath });
    const full = await assembleFull({ ...common, outPath: fullPath });

    expect(smart).toMatchObject({ mode: "smart" });
    expect(smart.durationSeconds).toBeCloseTo(7, 1);
    expect(full.durationSeconds).toBeCloseTo(smart.durationSeconds, 1);
    for (const file of [smartPath, fullPath]) {
      const info = await probeMedia(file);
      expect(videoStream(info)).toMatchObject({ codec: "h264", pixFmt: "yuv420p", width: 320, height: 180 });
      expect(videoStream(info).frameCount).toBe(7 * 24);
      const frameTimes = (await videoPackets(file)).map((packet) => packet.seconds);
      expect(frameTimes).toEqual(frameTimes.map((_, index) => expect.closeTo(index / 24, 3)));
      expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
      expect(await decodeErrors(file)).toBe("");
      expectColour(await frameRgbAt(file, 0.5), RED);
      expectColour(await frameRgbAt(file, 1.75), [128, 128, 0]);
      expectColour(await frameRgbAt(file, 2.5), GREEN);
      expectColour(await frameRgbAt(file, 4.5), BLUE);
      expectColour(await frameRgbAt(file, 5.25), [128, 128, 255]);
      expectColour(await frameRgbAt(file, 6.5), WHITE);
      expect(await maxVolumeDb(file, 5.05, 0.2)).toBeGreaterThan(-30);
      expect(await maxVolumeDb(file, 4.2, 0.7)).toBeLessThan(-60);
    }
  });

  it("has one boundary when the intro is empty, none within a single section", async () => {
    const twoSections = await assembleVideo({
      clips: [mainA, mainB, outro],
      narrationPath: await beeps("two-sections.m4a", [0], 5.5),
      profile: SMALL_PROFILE,
      outPath: path.join(dir, "two-sections.mp4"),
    });
    const oneSection = await assembleVideo({
      clips: [mainA, mainB],
      narrationPath: await beeps("one-section.m4a", [0], 4),
      profile: SMALL_PROFILE,
      outPath: path.join(dir, "one-section.mp4"),
    });

    expect(twoSections.mode).toBe("smart");
    expect(twoSections.durationSeconds).toBeCloseTo(5.5, 1);
    expect(videoStream(await probeMedia(path.join(dir, "two-sections.mp4"))).frameCount).toBe(132);
    expectColour(await frameRgbAt(path.join(dir, "two-sections.mp4"), 3.75), [128, 128, 255]);
    expect(oneSection.mode).toBe("smart");
    expect(oneSection.durationSeconds).toBeCloseTo(4, 1);
  });

  it("renders the same smart assembly on the wasm backend", async () => {
    const outPath = path.join(dir, "wasm.mp4");
    const narrationPath = await beeps("wasm.m4a", [0, 1.5, 3], 5);
    const clips = [intro, mainA, outro];
    const result = await withEnv({ KADR_FFMPEG: "wasm" }, () =>
      assembleVideo({ clips, narrationPath, profile: SMALL_PROFILE, outPath }),
    );

    expect(result).toMatchObject({ mode: "smart" });
    expect(result.durationSeconds).toBeCloseTo(5, 1);
    expect(videoStream(await probeMedia(outPath)).frameCount).toBe(120);
    expect(await decodeErrors(outPath)).toBe("");
    expectColour(await frameRgbAt(outPath, 1.75), [128, 128, 0]);
    expectColour(await frameRgbAt(outPath, 3.25), [128, 255, 128]);
  });

  it("falls back to the full re-encode for a clip encoded with other H.264 settings", async () => {
    const foreign = await renderLavfi(
      path.join(dir, "foreign.mp4"),
      ["color=green:size=320x180:rate=24"],
      2,
      ["-c:v", "libx264", "-profile:v", "main", "-pix_fmt", "yuv420p"],
    );
    const result = await assembleVideo({
      clips: [intro, { path: foreign, seconds: 2, section: "main" }],
      narrationPath: await beeps("fallback.m4a", [0], 3.5),
      profile: SMALL_PROFILE,
      outPath: path.join(dir, "fallback.mp4"),
    });

    expect(result.mode).toBe("full");
    expect(result.fallbackReason).toMatch(/parameter sets/);
    expect(result.durationSeconds).toBeCloseTo(3.5, 1);
  });
});
