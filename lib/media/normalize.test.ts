import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeClip } from "./normalize";
import { probeMedia } from "./probe";
import {
  audioStream,
  frameRgbAt,
  keyframeSeconds,
  makeTempDir,
  maxVolumeDb,
  renderLavfi,
  SMALL_PROFILE,
  videoStream,
} from "./test-support";

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
