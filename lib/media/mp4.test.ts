import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMp4DurationSeconds, readMp4VideoTrack } from "./mp4";
import { probeMedia } from "./probe";
import { makeTempDir, renderLavfi, videoStream } from "./test-support";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(() => cleanup());

describe("readMp4VideoTrack", () => {
  it.each([
    ["moov first (+faststart)", ["-movflags", "+faststart"]],
    ["moov last", []],
  ])("reads size, frame count and the avcC record that ffprobe reports, %s", async (name, muxArgs) => {
    const file = await renderLavfi(
      path.join(dir, `${name.split(" ")[1]}.mp4`),
      ["testsrc=size=192x108:rate=24", "sine=sample_rate=48000"],
      1.5,
      ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", ...muxArgs],
    );

    const track = await readMp4VideoTrack(file);
    const info = await probeMedia(file);
    const probed = videoStream(info);
    expect(await readMp4DurationSeconds(file)).toBeCloseTo(info.durationSeconds, 3);
    expect(track).toMatchObject({ codec: "avc1", width: 192, height: 108, sampleCount: 36 });
    const avcHash = `SHA256:${createHash("sha256").update(track!.decoderConfig).digest("hex")}`;
    expect(avcHash).toBe(probed.extradataHash);
  });

  it("returns undefined for a file without video", async () => {
    const file = await renderLavfi(path.join(dir, "audio.m4a"), ["sine=sample_rate=48000"], 0.5, [
      "-c:a",
      "aac",
    ]);
    expect(await readMp4VideoTrack(file)).toBeUndefined();
  });

  it("throws PROBE_FAILED for a file that is not MP4", async () => {
    const file = path.join(dir, "notes.mp4");
    await writeFile(file, "plain text, no boxes here");
    await expect(readMp4VideoTrack(file)).rejects.toMatchObject({ code: "PROBE_FAILED" });
  });
});
