import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeMedia } from "@/lib/media/probe";
import { profileForAspect } from "@/lib/media/profile";
import { renderLocalImage } from "../image/local";
import { animateLocal, createLocalVideo } from "./local";

describe("local video provider (Ken Burns)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "kadr-video-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("animates a still into a clip of the profile's size and the requested length", async () => {
    const profile = profileForAspect("9:16");
    const imagePath = path.join(dir, "still.png");
    await writeFile(
      imagePath,
      await renderLocalImage({
        prompt: "p",
        caption: "Кадр",
        width: profile.width,
        height: profile.height,
        seed: 1,
      }),
    );
    const outPath = path.join(dir, "clip.mp4");
    const video = createLocalVideo();
    expect(video.name).toBe("local");
    await video.animateImage({
      imagePath,
      outPath,
      seconds: 1,
      profile,
      motionPrompt: "pan left",
      seed: "abc",
    });
    const info = await probeMedia(outPath);
    const v = info.streams.find((s) => s.type === "video");
    expect(v).toMatchObject({ codec: "h264", width: profile.width, height: profile.height });
    expect(info.durationSeconds).toBeCloseTo(1, 1);
  });

  it("rejects a non-positive duration before touching ffmpeg", async () => {
    const profile = profileForAspect("16:9");
    await expect(
      animateLocal({
        imagePath: "/nope.png",
        outPath: "/nope.mp4",
        seconds: 0,
        profile,
        motionPrompt: "pan left",
        seed: 1,
      }),
    ).rejects.toThrow(RangeError);
  });
});
