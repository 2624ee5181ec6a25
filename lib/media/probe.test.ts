import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeMedia } from "./probe";
import { makeTempDir, renderLavfi, withEnv } from "./test-support";

let dir: string;
let cleanup: () => Promise<void>;
let sample: string;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  sample = await renderLavfi(
    path.join(dir, "sample.mp4"),
    ["testsrc=size=160x120:rate=25", "sine=frequency=440:sample_rate=44100"],
    2,
    ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1"],
  );
});
afterAll(() => cleanup());

describe("probeMedia with native ffmpeg but no native ffprobe", () => {
  it("probes with the wasm core", async () => {
    const info = await withEnv({ KADR_FFMPEG: "auto", FFPROBE_PATH: "/nonexistent/ffprobe" }, () =>
      probeMedia(sample),
    );
    expect(info.streams.map((stream) => stream.codec)).toEqual(["h264", "aac"]);
  });
});

describe.each(["native", "wasm"] as const)("probeMedia (%s)", (backend) => {
  const run = <T>(task: () => Promise<T>) => withEnv({ KADR_FFMPEG: backend }, task);

  it("reports container, video and audio properties", async () => {
    const info = await run(() => probeMedia(sample));
    expect(info.formatName).toContain("mp4");
    expect(info.durationSeconds).toBeCloseTo(2, 1);
    expect(info.bytes).toBeGreaterThan(1000);
    expect(info.streams).toHaveLength(2);
    expect(info.streams[0]).toMatchObject({
      type: "video",
      codec: "h264",
      width: 160,
      height: 120,
      fps: 25,
      pixFmt: "yuv420p",
      frameCount: 50,
    });
    expect(info.streams[0]?.extradataHash).toMatch(/^SHA256:[0-9a-f]{64}$/);
    expect(info.streams[1]).toMatchObject({ type: "audio", codec: "aac", sampleRate: 44100, channels: 1 });
  });

  it("throws PROBE_FAILED for a file that is not media", async () => {
    const text = path.join(dir, `${backend}-notes.mp4`);
    await writeFile(text, "not a video");
    await expect(run(() => probeMedia(text))).rejects.toMatchObject({
      code: "PROBE_FAILED",
      stderrTail: expect.stringContaining("Invalid data found"),
    });
  });

  it("throws PROBE_FAILED for a missing file", async () => {
    await expect(run(() => probeMedia(path.join(dir, "missing.mp4")))).rejects.toMatchObject({
      code: "PROBE_FAILED",
    });
  });
});
