import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { motionFromPrompt, renderKenBurnsClip } from "./kenburns";
import { probeMedia } from "./probe";
import type { VideoProfile } from "./profile";
import {
  audioStream,
  frameRgbAt,
  keyframeSeconds,
  makeTempDir,
  SMALL_PROFILE,
  videoStream,
  withEnv,
  writeGradientImage,
} from "./test-support";

let dir: string;
let cleanup: () => Promise<void>;
let image: string;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  image = await writeGradientImage(path.join(dir, "gradient.png"));
});
afterAll(() => cleanup());

describe("renderKenBurnsClip", () => {
  it("writes an H.264 High yuv420p clip with 1 s closed GOPs and a silent AAC track of the same length", async () => {
    const out = path.join(dir, "pan.mp4");
    await renderKenBurnsClip({
      imagePath: image,
      outPath: out,
      seconds: 2,
      profile: SMALL_PROFILE,
      motion: { zoomFrom: 1.3, zoomTo: 1.1, panX: 1, panY: 0 },
    });

    const info = await probeMedia(out);
    expect(info.durationSeconds).toBeCloseTo(2, 1);
    expect(videoStream(info)).toMatchObject({
      codec: "h264",
      profile: "High",
      pixFmt: "yuv420p",
      width: 320,
      height: 180,
      fps: 24,
      frameCount: 48,
    });
    expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
    expect(audioStream(info).durationSeconds).toBeCloseTo(2, 1);
    expect(await keyframeSeconds(out)).toEqual([0, 1]);
    const bytes = await readFile(out);
    expect(bytes.indexOf("moov")).toBeLessThan(bytes.indexOf("mdat"));

    // Pulling back while panning right over a left-to-right red gradient: the window moves from
    // [0, 0.77] to [0.09, 1] of the width, so the picture gets redder.
    const [redAtStart] = await frameRgbAt(out, 0);
    const [redAtEnd] = await frameRgbAt(out, 1.95);
    expect(redAtEnd - redAtStart).toBeGreaterThan(25);
  });

  it("renders the same stream on the wasm backend as on native", async () => {
    const tiny: VideoProfile = { ...SMALL_PROFILE, width: 160, height: 90 };
    const render = (backend: "native" | "wasm") =>
      withEnv({ KADR_FFMPEG: backend }, async () => {
        const out = path.join(dir, `tiny-${backend}.mp4`);
        await renderKenBurnsClip({
          imagePath: image,
          outPath: out,
          seconds: 1,
          profile: tiny,
          motion: { prompt: "slow push in", seed: "segment-1" },
        });
        return probeMedia(out);
      });
    const [native, wasm] = [await render("native"), await render("wasm")];

    expect(videoStream(wasm)).toMatchObject({
      codec: "h264",
      width: 160,
      height: 90,
      fps: 24,
      frameCount: 24,
    });
    expect(audioStream(wasm)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
    expect(wasm.durationSeconds).toBeCloseTo(1, 1);
    // Same properties and identical H.264 parameter sets (extradataHash): clips from either backend
    // can be stream-copied together.
    expect(videoStream(wasm)).toEqual(videoStream(native));
    expect(audioStream(wasm)).toEqual(audioStream(native));
  });

  it("rejects a zoom below 1", async () => {
    await expect(
      renderKenBurnsClip({
        imagePath: image,
        outPath: path.join(dir, "bad.mp4"),
        seconds: 1,
        profile: SMALL_PROFILE,
        motion: { zoomFrom: 0.5, zoomTo: 1, panX: 0, panY: 0 },
      }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

describe("motionFromPrompt", () => {
  it.each([
    ["Slow zoom in on the castle", { zoomFrom: 1, zoomTo: 1.25, panX: 0, panY: 0 }],
    ["camera pulls back to reveal the valley", { zoomFrom: 1.25, zoomTo: 1, panX: 0, panY: 0 }],
    ["pan left across the skyline", { zoomFrom: 1.15, zoomTo: 1.15, panX: -1, panY: 0 }],
    ["push in while tilting up", { zoomFrom: 1.15, zoomTo: 1.4, panX: 0, panY: -1 }],
    ["медленный наезд, камера уходит вправо", { zoomFrom: 1.15, zoomTo: 1.4, panX: 1, panY: 0 }],
    ["static shot", { zoomFrom: 1, zoomTo: 1, panX: 0, panY: 0 }],
  ])("reads %j", (prompt, motion) => {
    expect(motionFromPrompt(prompt, "seed")).toEqual(motion);
  });

  it("picks a move from the seed when the prompt names none", () => {
    const moves = ["a", "b", "c", "d", "e", "f", "g", "h"].map((seed) =>
      motionFromPrompt("a quiet harbour", seed),
    );
    expect(motionFromPrompt("a quiet harbour", "a")).toEqual(moves[0]);
    expect(new Set(moves.map((move) => JSON.stringify(move))).size).toBeGreaterThan(1);
    for (const move of moves) expect(move.zoomFrom).not.toBe(move.zoomTo);
  });
});
