import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaError } from "./errors";
import { getFfmpegBackend, runFfmpeg } from "./ffmpeg";
import { probeMedia } from "./probe";
import { makeTempDir, videoStream, withEnv } from "./test-support";

const NOWHERE = "/nonexistent/ffmpeg";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(() => cleanup());

describe("getFfmpegBackend", () => {
  it("uses the native binary found on PATH", async () => {
    await withEnv({ KADR_FFMPEG: undefined, FFMPEG_PATH: undefined }, async () => {
      expect(await getFfmpegBackend()).toBe("native");
    });
  });

  it("falls back to wasm when FFMPEG_PATH points nowhere", async () => {
    await withEnv({ KADR_FFMPEG: "auto", FFMPEG_PATH: NOWHERE }, async () => {
      expect(await getFfmpegBackend()).toBe("wasm");
    });
  });

  it("refuses to fall back when native is forced", async () => {
    await withEnv({ KADR_FFMPEG: "native", FFMPEG_PATH: NOWHERE }, async () => {
      await expect(getFfmpegBackend()).rejects.toMatchObject({ code: "FFMPEG_NOT_FOUND" });
    });
  });

  it("needs a native ffprobe too when native is forced", async () => {
    await withEnv({ KADR_FFMPEG: "native", FFMPEG_PATH: undefined, FFPROBE_PATH: NOWHERE }, async () => {
      await expect(getFfmpegBackend()).rejects.toMatchObject({ code: "FFMPEG_NOT_FOUND" });
    });
  });

  it("rejects an unknown KADR_FFMPEG", async () => {
    await withEnv({ KADR_FFMPEG: "gpu" }, async () => {
      await expect(getFfmpegBackend()).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    });
  });
});

describe.each(["native", "wasm"] as const)("runFfmpeg (%s)", (backend) => {
  const run = <T>(task: () => Promise<T>) => withEnv({ KADR_FFMPEG: backend }, task);

  it("writes the declared output to disk", async () => {
    const out = path.join(dir, `${backend}-bars.mp4`);
    await run(() =>
      runFfmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "0.5", "-c:v", "libx264", out], {
        inputs: [],
        outputs: [out],
      }),
    );
    expect((await stat(out)).size).toBeGreaterThan(0);
    const video = videoStream(await run(() => probeMedia(out)));
    expect(video).toMatchObject({ codec: "h264", width: 64, height: 48, frameCount: 5 });
  });

  it("throws FFMPEG_FAILED with the end of ffmpeg's stderr", async () => {
    const failure = await run(() =>
      runFfmpeg(["-f", "lavfi", "-i", "testsrc", "-vf", "nosuchfilter", "-f", "null", "-"], {
        inputs: [],
        outputs: [],
      }),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MediaError);
    expect(failure).toMatchObject({ code: "FFMPEG_FAILED" });
    expect((failure as MediaError).stderrTail).toContain("No such filter: 'nosuchfilter'");
  });

  it("kills a run that exceeds its timeout", async () => {
    const endless = ["-re", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5", "-f", "null", "-"];
    await expect(
      run(() => runFfmpeg(endless, { inputs: [], outputs: [], timeoutMs: 1_000 })),
    ).rejects.toMatchObject({
      code: "FFMPEG_TIMEOUT",
    });
  });
});
