import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFfmpeg } from "./ffmpeg";
import { type Framing, normalizeClip } from "./normalize";
import { probeMedia } from "./probe";
import {
  audioStream,
  frameRgbAt,
  keyframeSeconds,
  makeTempDir,
  maxVolumeDb,
  renderLavfi,
  SMALL_PROFILE,
  setPortraitRotation,
  videoPackets,
  videoStream,
  withEnv,
} from "./test-support";

type Rgb = [number, number, number];
const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const WHITE: Rgb = [255, 255, 255];
/** 320x180, left half blue, right half red: turned upright from portrait, blue is on top. */
const HALVES_SOURCE = "color=red:size=320x180:rate=30,drawbox=x=0:y=0:w=160:h=180:color=blue:t=fill";

function expectColour(actual: number[], expected: number[]) {
  const deviation = Math.max(...actual.map((channel, index) => Math.abs(channel - expected[index]!)));
  expect(deviation, `rgb(${actual}) should be close to rgb(${expected})`).toBeLessThan(30);
}

/** Normalizes `inputPath` into a 2 s SMALL_PROFILE clip and checks the canonical stream properties. */
async function normalizeAndCheck(inputPath: string, name: string, framing?: Framing): Promise<string> {
  const outPath = path.join(dir, `${name}.mp4`);
  await normalizeClip({ inputPath, outPath, seconds: 2, profile: SMALL_PROFILE, framing });
  const info = await probeMedia(outPath);
  expect(videoStream(info)).toMatchObject({
    codec: "h264",
    profile: "High",
    pixFmt: "yuv420p",
    width: 320,
    height: 180,
    fps: 24,
    frameCount: 48,
  });
  expect(videoStream(info).rotationDegrees).toBeUndefined();
  expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
  expect(await keyframeSeconds(outPath)).toEqual([0, 1]);
  return outPath;
}

/** A portrait picture (blue top half, red bottom half) fitted upright in the middle of the frame. */
async function expectUprightPortrait(file: string) {
  expectColour(await frameRgbAt(file, 1, { left: 150, top: 10, width: 20, height: 60 }), BLUE);
  expectColour(await frameRgbAt(file, 1, { left: 150, top: 110, width: 20, height: 60 }), RED);
  expect(Math.max(...(await frameRgbAt(file, 1, { left: 0, top: 0, width: 100, height: 180 })))).toBeLessThan(
    20,
  );
}

/** True when this ffmpeg build can encode one frame with `encoder`. */
async function canEncode(encoder: string): Promise<boolean> {
  return runFfmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      "color=size=64x64:duration=0.1",
      "-frames:v",
      "1",
      "-c:v",
      encoder,
      "-f",
      "null",
      "-",
    ],
    { inputs: [], outputs: [] },
  ).then(
    () => true,
    () => false,
  );
}

/** Codecs that providers and users send, with the encoder that makes a test file of each. */
const CODECS = [
  ["HEVC", "hevc", "libx265", "mp4", ["-x265-params", "log-level=error"]],
  ["VP9", "vp9", "libvpx-vp9", "webm", ["-deadline", "realtime", "-cpu-used", "8"]],
  ["AV1", "av1", "libsvtav1", "mp4", ["-preset", "12"]],
  ["ProRes", "prores", "prores_ks", "mov", ["-profile:v", "0"]],
] as const;
const ENCODER_AVAILABLE = await Promise.all(CODECS.map(([, , encoder]) => canEncode(encoder)));

let dir: string;
let cleanup: () => Promise<void>;
let silent4x3: string;
let shortWithTone: string;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  // 640x480 (4:3) at 30 fps, no audio, a white frame (so black bars stand out).
  silent4x3 = await renderLavfi(path.join(dir, "silent-4x3.mp4"), ["color=white:size=640x480:rate=30"], 3, [
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
  ]);
  // 1.5 s of 16:9 at 25 fps with a mono 44.1 kHz tone.
  shortWithTone = await renderLavfi(
    path.join(dir, "short-tone.mp4"),
    ["testsrc=size=640x360:rate=25", "sine=frequency=440:sample_rate=44100"],
    1.5,
    ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1"],
  );
});
afterAll(() => cleanup());

describe("normalizeClip", () => {
  it.each([
    ["cuts", 2],
    ["holds the last frame of", 4],
  ])("%s a 640x480 30 fps clip without audio into the 16:9 profile, adding silence", async (_, seconds) => {
    const out = path.join(dir, `4x3-${seconds}.mp4`);
    await normalizeClip({ inputPath: silent4x3, outPath: out, seconds, profile: SMALL_PROFILE });

    const info = await probeMedia(out);
    expect(info.durationSeconds).toBeCloseTo(seconds, 1);
    expect(videoStream(info)).toMatchObject({
      codec: "h264",
      profile: "High",
      pixFmt: "yuv420p",
      width: 320,
      height: 180,
      fps: 24,
      frameCount: seconds * 24,
    });
    expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
    expect(audioStream(info).durationSeconds).toBeCloseTo(seconds, 1);
    expect(await keyframeSeconds(out)).toEqual(Array.from({ length: seconds }, (_, second) => second));
    // 4:3 inside 16:9: 240 px of picture centred between 40 px black pillars.
    const pillar = await frameRgbAt(out, seconds - 0.1, { left: 0, top: 0, width: 30, height: 180 });
    const picture = await frameRgbAt(out, seconds - 0.1, { left: 60, top: 0, width: 200, height: 180 });
    expect(Math.max(...pillar)).toBeLessThan(20);
    expect(Math.min(...picture)).toBeGreaterThan(230);
  });

  it("resamples mono 44.1 kHz audio to 48 kHz stereo and pads it with silence", async () => {
    const out = path.join(dir, "short-tone-3s.mp4");
    await normalizeClip({ inputPath: shortWithTone, outPath: out, seconds: 3, profile: SMALL_PROFILE });

    const info = await probeMedia(out);
    expect(info.durationSeconds).toBeCloseTo(3, 1);
    expect(videoStream(info)).toMatchObject({ width: 320, height: 180, fps: 24, frameCount: 72 });
    expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
    expect(audioStream(info).durationSeconds).toBeCloseTo(3, 1);
    expect(await maxVolumeDb(out, 0.2, 1)).toBeGreaterThan(-30);
    expect(await maxVolumeDb(out, 2, 0.9)).toBeLessThan(-60);
  });
});

describe("normalizeClip with the inputs providers and phones send", () => {
  it.each(["native", "wasm"] as const)(
    "turns phone video with a rotation matrix upright (%s)",
    async (backend) => {
      const phone = await renderLavfi(path.join(dir, `phone-${backend}.mp4`), [HALVES_SOURCE], 1, [
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
      ]);
      await setPortraitRotation(phone);
      expect(videoStream(await probeMedia(phone)).rotationDegrees).toBe(-90);

      const out = await withEnv({ KADR_FFMPEG: backend }, () =>
        normalizeAndCheck(phone, `upright-${backend}`),
      );
      await expectUprightPortrait(out);
    },
  );

  it.each([
    ["10-bit 4:2:0 (High 10)", "yuv420p10le", "High 10"],
    ["8-bit 4:4:4 (High 4:4:4)", "yuv444p", "High 4:4:4 Predictive"],
  ])("converts %s to 8-bit 4:2:0", async (_, pixFmt, sourceProfile) => {
    const source = await renderLavfi(
      path.join(dir, `${pixFmt}.mp4`),
      ["color=blue:size=320x180:rate=24"],
      1,
      ["-c:v", "libx264", "-pix_fmt", pixFmt],
    );
    expect(videoStream(await probeMedia(source))).toMatchObject({ pixFmt, profile: sourceProfile });

    const out = await normalizeAndCheck(source, `from-${pixFmt}`);
    expectColour(await frameRgbAt(out, 1.5), BLUE);
  });

  CODECS.forEach(([name, codec, encoder, container, encoderArgs], index) => {
    const available = ENCODER_AVAILABLE[index]!;
    const title = available
      ? `decodes ${name} input`
      : `decodes ${name} input — skipped: this ffmpeg build has no ${encoder} encoder to make a test file`;
    it.skipIf(!available)(title, async () => {
      const source = await renderLavfi(path.join(dir, `source.${codec}.${container}`), [HALVES_SOURCE], 1, [
        "-c:v",
        encoder,
        ...encoderArgs,
      ]);
      expect(videoStream(await probeMedia(source)).codec).toBe(codec);

      const out = await normalizeAndCheck(source, `from-${codec}`);
      expectColour(await frameRgbAt(out, 1.5, { left: 20, top: 20, width: 100, height: 140 }), BLUE);
      expectColour(await frameRgbAt(out, 1.5, { left: 200, top: 20, width: 100, height: 140 }), RED);
    });
  });

  /** What the wasm core (@ffmpeg/core 0.12, ffmpeg 5.1) decodes of CODECS: all but AV1 (no dav1d). */
  const WASM_DECODES: Record<(typeof CODECS)[number][1], boolean> = {
    hevc: true,
    vp9: true,
    av1: false,
    prores: true,
  };

  CODECS.forEach(([name, codec, encoder, container, encoderArgs], index) => {
    const available = ENCODER_AVAILABLE[index]!;
    const decodes = WASM_DECODES[codec];
    const title = !available
      ? `wasm: ${name} — skipped: this ffmpeg build has no ${encoder} encoder to make a test file`
      : decodes
        ? `wasm: normalizes ${name} input to the same stream as native`
        : `wasm: refuses ${name} input with FFMPEG_FAILED (the wasm core has no ${name} decoder)`;
    it.skipIf(!available)(title, async () => {
      const source = await renderLavfi(
        path.join(dir, `wasm-source.${codec}.${container}`),
        [HALVES_SOURCE],
        1,
        ["-c:v", encoder, ...encoderArgs],
      );
      const wasmOut = path.join(dir, `wasm-from-${codec}.mp4`);
      const normalizeOnWasm = withEnv({ KADR_FFMPEG: "wasm" }, () =>
        normalizeClip({ inputPath: source, outPath: wasmOut, seconds: 2, profile: SMALL_PROFILE }),
      );
      if (!decodes) {
        await expect(normalizeOnWasm).rejects.toMatchObject({ code: "FFMPEG_FAILED" });
        return;
      }
      await normalizeOnWasm;
      const nativeOut = await normalizeAndCheck(source, `native-from-${codec}`);
      const [nativeInfo, wasmInfo] = await Promise.all([probeMedia(nativeOut), probeMedia(wasmOut)]);
      expect(videoStream(wasmInfo)).toEqual(videoStream(nativeInfo));
      expect(audioStream(wasmInfo)).toEqual(audioStream(nativeInfo));
      expect(await keyframeSeconds(wasmOut)).toEqual([0, 1]);
      expectColour(await frameRgbAt(wasmOut, 1.5, { left: 20, top: 20, width: 100, height: 140 }), BLUE);
      expectColour(await frameRgbAt(wasmOut, 1.5, { left: 200, top: 20, width: 100, height: 140 }), RED);
    });
  });

  it("resamples variable frame rate to a constant 24 fps without shifting the picture in time", async () => {
    // Red until 1 s, blue after; frames at jittered times (every 1/30 s ± 12 ms) with gaps.
    const source = await renderLavfi(
      path.join(dir, "vfr.mkv"),
      [
        "color=red:size=320x180:rate=30:duration=1[red];color=blue:size=320x180:rate=30:duration=1[blue];" +
          "[red][blue]concat,select='not(eq(mod(n\\,7)\\,3))',setpts='(N/30+if(mod(N\\,2)\\,0.012\\,-0.012)+0.012)/TB'",
      ],
      2,
      ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-fps_mode", "passthrough"],
    );
    const sourceSteps = new Set(
      (await videoPackets(source)).map((packet, index, all) =>
        index ? Math.round((packet.seconds - all[index - 1]!.seconds) * 1000) : 0,
      ),
    );
    expect(sourceSteps.size).toBeGreaterThan(2);

    const out = await normalizeAndCheck(source, "from-vfr");
    const times = (await videoPackets(out)).map((packet) => packet.seconds);
    expect(times).toEqual(times.map((_, index) => expect.closeTo(index / 24, 3)));
    expectColour(await frameRgbAt(out, 0.8), RED);
    expectColour(await frameRgbAt(out, 1.3), BLUE);
  });

  it.each([
    ["PNG", "png"],
    ["WebP", "webp"],
  ] as const)("holds a %s still image for the whole clip", async (_, format) => {
    const still = path.join(dir, `still.${format}`);
    await sharp({ create: { width: 400, height: 225, channels: 3, background: { r: 0, g: 0, b: 255 } } })
      .toFormat(format)
      .toFile(still);

    const out = await normalizeAndCheck(still, `from-${format}`);
    expectColour(await frameRgbAt(out, 0), BLUE);
    expectColour(await frameRgbAt(out, 1.95), BLUE);
  });

  it("applies the EXIF orientation of a phone JPEG", async () => {
    // Stored landscape (blue left, red right) with orientation 6: displayed as a portrait, blue on top.
    const halves = Buffer.alloc(320 * 180 * 3);
    for (let pixel = 0; pixel < 320 * 180; pixel++) {
      halves[pixel * 3 + (pixel % 320 < 160 ? 2 : 0)] = 255;
    }
    const photo = path.join(dir, "phone.jpg");
    await sharp(halves, { raw: { width: 320, height: 180, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(photo);

    await expectUprightPortrait(await normalizeAndCheck(photo, "from-phone-jpeg"));
  });

  it("fills the frame by cropping when asked, instead of fitting it with bars", async () => {
    // 4:3, white with a red band over the top 60 of 480 rows, which filling 16:9 crops away.
    const source = await renderLavfi(
      path.join(dir, "band-4x3.mp4"),
      ["color=white:size=640x480:rate=24,drawbox=x=0:y=0:w=640:h=60:color=red:t=fill"],
      1,
      ["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    );
    const fit = await normalizeAndCheck(source, "band-fit", "fit");
    const fill = await normalizeAndCheck(source, "band-fill", "fill");

    const leftEdge = { left: 0, top: 40, width: 30, height: 100 };
    const topCentre = { left: 100, top: 0, width: 120, height: 15 };
    expect(Math.max(...(await frameRgbAt(fit, 0.5, leftEdge)))).toBeLessThan(20);
    expectColour(await frameRgbAt(fit, 0.5, topCentre), RED);
    expectColour(await frameRgbAt(fill, 0.5, leftEdge), WHITE);
    expectColour(await frameRgbAt(fill, 0.5, topCentre), WHITE);
  });

  it("rejects an unknown framing", async () => {
    await expect(
      normalizeClip({
        inputPath: silent4x3,
        outPath: path.join(dir, "stretch.mp4"),
        seconds: 1,
        profile: SMALL_PROFILE,
        framing: "stretch" as Framing,
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
