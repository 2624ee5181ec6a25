import { copyFile, mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AssembleOptions,
  type AssemblyClip,
  assembleFull,
  assembleVideo,
  prerenderTransitions,
  type XfadeTransition,
} from "./assemble";
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
  subtitleCues,
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

  it("transitions between every pair of clips with the chosen xfade effect when transitions is all", async () => {
    // 3 × 2 s − 2 × 0.5 s; segments start at 0, 1.5 and 3 s.
    const narrationPath = await beeps("all.m4a", [0, 1.5, 3], 5);
    const clips = [{ ...intro, section: "main" as const }, mainA, mainB];
    const common = {
      clips,
      narrationPath,
      profile: SMALL_PROFILE,
      transitions: "all" as const,
      transitionType: "wipeleft" as const,
      captions: ["red", "green", "blue"],
    };
    const smartPath = path.join(dir, "all-smart.mp4");
    const fullPath = path.join(dir, "all-full.mp4");

    const smart = await assembleVideo({ ...common, outPath: smartPath });
    await assembleFull({ ...common, outPath: fullPath });

    expect(smart.mode).toBe("smart");
    expect(smart.durationSeconds).toBeCloseTo(5, 1);
    const leftQuarter = { left: 0, top: 0, width: 80, height: 180 };
    const rightQuarter = { left: 240, top: 0, width: 80, height: 180 };
    for (const file of [smartPath, fullPath]) {
      expect(videoStream(await probeMedia(file)).frameCount).toBe(5 * 24);
      expect(await decodeErrors(file)).toBe("");
      // Halfway through a wipe to the left, the outgoing clip holds the left half, the incoming the right.
      expectColour(await frameRgbAt(file, 1.75, leftQuarter), RED);
      expectColour(await frameRgbAt(file, 1.75, rightQuarter), GREEN);
      expectColour(await frameRgbAt(file, 2.5), GREEN);
      expectColour(await frameRgbAt(file, 3.25, leftQuarter), GREEN);
      expectColour(await frameRgbAt(file, 3.25, rightQuarter), BLUE);
      expect((await subtitleCues(file)).map((cue) => cue.startSeconds)).toEqual([0, 1.5, 3]);
    }
    expect(await maxVolumeDb(smartPath, 3.05, 0.2)).toBeGreaterThan(-30);
    expect(await maxVolumeDb(smartPath, 2.3, 0.6)).toBeLessThan(-60);
  });

  it.each([
    ["a crossfade under 0.3 s", { crossfadeSeconds: 0.2 }, /from 0.3 to 2 s \(got 0.2\)/],
    ["a crossfade over 2 s", { crossfadeSeconds: 2.5 }, /from 0.3 to 2 s \(got 2.5\)/],
    [
      "an effect xfade does not have",
      { transitionType: "spin" as XfadeTransition },
      /"spin" is not an xfade/,
    ],
    ["an unknown scope", { transitions: "some" as "all" }, /"sections" or "all"/],
  ])(
    "rejects %s before rendering anything",
    async (_, transitionOptions: Partial<AssembleOptions>, message) => {
      const outPath = path.join(dir, "rejected.mp4");
      await expect(
        assembleVideo({
          clips: [intro, mainA],
          narrationPath: beep,
          profile: SMALL_PROFILE,
          outPath,
          ...transitionOptions,
        }),
      ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(message) });
      await expect(probeMedia(outPath)).rejects.toMatchObject({ code: "PROBE_FAILED" });
    },
  );

  it("renders transition windows ahead of time, so that assembly only muxes them", async () => {
    const transitionCacheDir = path.join(dir, "transition-cache");
    const common = {
      clips: [intro, mainA, mainB, outro],
      narrationPath: await beeps("prerendered.m4a", [0], 7),
      profile: SMALL_PROFILE,
      transitionCacheDir,
    };
    const windowTimes = async () => {
      const names = (await readdir(transitionCacheDir)).sort();
      return Promise.all(
        names.map(async (name) => [name, (await stat(path.join(transitionCacheDir, name))).mtimeMs]),
      );
    };

    expect(await prerenderTransitions(common)).toEqual({ rendered: 2, cached: 0 });
    const rendered = await windowTimes();
    expect(rendered.map(([name]) => name)).toEqual([
      expect.stringMatching(/^transition-[0-9a-f]{64}\.mp4$/),
      expect.stringMatching(/^transition-[0-9a-f]{64}\.mp4$/),
    ]);
    expect(await prerenderTransitions(common)).toEqual({ rendered: 0, cached: 2 });
    const outPath = path.join(dir, "prerendered.mp4");
    const result = await assembleVideo({ ...common, outPath });

    expect(result.mode).toBe("smart");
    expect(await windowTimes()).toEqual(rendered);
    expect(videoStream(await probeMedia(outPath)).frameCount).toBe(7 * 24);
    expectColour(await frameRgbAt(outPath, 1.75), [128, 128, 0]);
    expectColour(await frameRgbAt(outPath, 5.25), [128, 128, 255]);
    // Another effect makes other windows.
    expect(await prerenderTransitions({ ...common, transitionType: "wipeleft" })).toEqual({
      rendered: 2,
      cached: 0,
    });
  });

  it("adds the captions as a mov_text track in the stream-copy mux, cues timed on the final timeline", async () => {
    const outPath = path.join(dir, "captioned.mp4");
    const result = await assembleVideo({
      clips: [intro, mainA, mainB, outro],
      narrationPath: await beeps("captioned.m4a", [0], 7),
      profile: SMALL_PROFILE,
      outPath,
      captions: ["Welcome & hello.", "", "The <main> part.", "Goodbye."],
      captionLanguage: "eng",
    });

    expect(result.mode).toBe("smart");
    const info = await probeMedia(outPath);
    expect(info.streams.map((stream) => [stream.type, stream.codec])).toEqual([
      ["video", "h264"],
      ["audio", "aac"],
      ["subtitle", "mov_text"],
    ]);
    expect(info.streams[2]?.language).toBe("eng");
    expect(videoStream(info).frameCount).toBe(7 * 24);
    // Segments start at 0, 1.5, 3.5 and 5 s; each cue ends where the next segment starts.
    expect(await subtitleCues(outPath)).toEqual([
      { startSeconds: 0, endSeconds: 1.5, text: "Welcome & hello." },
      { startSeconds: 3.5, endSeconds: 5, text: "The <main> part." },
      { startSeconds: 5, endSeconds: 7, text: "Goodbye." },
    ]);
  });

  it.each(["native", "wasm"] as const)(
    "burns captions into the picture with a full re-encode, leaving no subtitle track (%s)",
    async (backend) => {
      const outPath = path.join(dir, `burned-${backend}.mp4`);
      const narrationPath = await beeps(`burned-${backend}.m4a`, [0], 3.5);
      // A font directory full of filter-graph syntax: the paths must reach libass intact.
      const fontDir = path.join(dir, `fonts, [${backend}]: 'quoted';`);
      await mkdir(fontDir);
      const fontFile = path.join(fontDir, "caption.ttf");
      await copyFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", fontFile);
      const result = await withEnv({ KADR_FFMPEG: backend }, () =>
        assembleVideo({
          clips: [intro, mainA],
          narrationPath,
          profile: SMALL_PROFILE,
          outPath,
          captions: [{ startSeconds: 0, endSeconds: 1, text: "WWWWWWWWWWWWWWWW" }],
          burnCaptions: true,
          captionFont: { file: fontFile, family: "DejaVu Sans" },
        }),
      );

      expect(result).toMatchObject({ mode: "full", fallbackReason: expect.stringMatching(/burned-in/) });
      const info = await probeMedia(outPath);
      expect(info.streams.map((stream) => stream.type)).toEqual(["video", "audio"]);
      // White text on the red intro raises green (0 in red) in the bottom band while the cue shows.
      const bottomBand = { left: 90, top: 164, width: 140, height: 10 };
      const [, greenWithCaption] = await frameRgbAt(outPath, 0.5, bottomBand);
      const [, greenAfterCue] = await frameRgbAt(outPath, 1.2, bottomBand);
      expect(greenWithCaption).toBeGreaterThan(40);
      expect(greenAfterCue).toBeLessThan(10);
    },
  );

  it("rejects burn-in without its font file", async () => {
    await expect(
      assembleVideo({
        clips: [mainA],
        narrationPath: await beeps("no-font.m4a", [0], 2),
        profile: SMALL_PROFILE,
        outPath: path.join(dir, "no-font.mp4"),
        captions: ["text"],
        burnCaptions: true,
        captionFont: { file: path.join(dir, "missing.ttf"), family: "Missing" },
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/missing\.ttf/) });
  });

  it("rejects a caption language that is not an ISO 639-2 code", async () => {
    await expect(
      assembleVideo({
        clips: [mainA],
        narrationPath: await beeps("bad-language.m4a", [0], 2),
        profile: SMALL_PROFILE,
        outPath: path.join(dir, "bad-language.mp4"),
        captions: ["text"],
        captionLanguage: "en",
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/ISO 639-2/) });
  });

  it("renders the same smart assembly, captions included, on the wasm backend", async () => {
    const outPath = path.join(dir, "wasm.mp4");
    const narrationPath = await beeps("wasm.m4a", [0, 1.5, 3], 5);
    const clips = [intro, mainA, outro];
    const result = await withEnv({ KADR_FFMPEG: "wasm" }, () =>
      assembleVideo({ clips, narrationPath, profile: SMALL_PROFILE, outPath, captions: ["a", "b", "c"] }),
    );

    expect(result).toMatchObject({ mode: "smart" });
    expect((await subtitleCues(outPath)).map((cue) => [cue.startSeconds, cue.text])).toEqual([
      [0, "a"],
      [1.5, "b"],
      [3, "c"],
    ]);
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
