import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { probeMedia } from "@/lib/media/probe";
import type { VideoProfile } from "@/lib/media/profile";
import { createRunwayClient } from "../clients/runway";
import { ProviderError } from "../errors";
import { fakePng } from "../fakes/media";
import { RUNWAY_ERRORS, type RunwayFake, startRunwayFake } from "../fakes/runway";
import { createRunwayVideo } from "./runway";

const PROFILE: VideoProfile = {
  width: 320,
  height: 180,
  fps: 24,
  audioSampleRate: 48_000,
  audioChannels: 2,
  gopSeconds: 1,
};

let fake: RunwayFake;
let dir: string;
let imagePath: string;

beforeAll(async () => {
  fake = await startRunwayFake();
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-runway-"));
  imagePath = path.join(dir, "still.png");
  await fs.promises.writeFile(imagePath, await fakePng(640, 360));
});
afterAll(async () => {
  await fake.close();
  await fs.promises.rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(options: { apiKey?: string; maxRetries?: number; model?: string } = {}) {
  const client = createRunwayClient({
    apiKey: options.apiKey ?? fake.apiKey,
    baseURL: fake.url,
    maxRetries: options.maxRetries ?? 0,
  });
  return createRunwayVideo({ client, model: options.model ?? "gen4_turbo", pollIntervalMs: 5 });
}

const REQUEST = { seconds: 4.5, profile: PROFILE, motionPrompt: "slow zoom in, waves roll", seed: "abc" };

describe("Runway video against the fake", () => {
  it("submits image_to_video with the still as a data URI, polls to SUCCEEDED and saves a normalized clip", async () => {
    const runway = provider();
    const id = await runway.submit({ imagePath, ...REQUEST });
    expect(id.length).toBeLessThanOrEqual(512);
    const create = fake.requestsTo(/^POST \/v1\/image_to_video$/)[0]!;
    expect(create.headers).toMatchObject({
      authorization: `Bearer ${fake.apiKey}`,
      "x-runway-version": "2024-11-06",
    });
    const body = create.json as Record<string, unknown>;
    expect(body).toMatchObject({
      model: "gen4_turbo",
      promptText: "slow zoom in, waves roll",
      ratio: "1280:720",
      duration: 5,
    });
    expect(body.seed).toEqual(expect.any(Number));
    const still = Buffer.from(String(body.promptImage).replace(/^data:image\/png;base64,/, ""), "base64");
    expect((await sharp(still).metadata()).width).toBe(640);

    expect(await runway.check(id)).toEqual({ state: "pending" });
    expect(await runway.check(id)).toEqual({ state: "pending", progress: 2 / 3 });
    const done = await runway.check(id);
    expect(done).toEqual({
      state: "done",
      source: { url: expect.stringMatching(new RegExp(`^${fake.url}/outputs/${id}\\.mp4`)) },
    });
    if (done.state !== "done") throw new Error("unreachable");
    const outPath = path.join(dir, "clip.mp4");
    await runway.saveClip(done.source, { outPath, seconds: 4.5, profile: PROFILE });
    const probe = await probeMedia(outPath);
    expect(probe.durationSeconds).toBeCloseTo(4.5, 1);
    expect(probe.streams.find((s) => s.type === "video")).toMatchObject({ width: 320, height: 180 });
  });

  it("runs the whole job in animateImage, waiting out THROTTLED", async () => {
    fake.nextThrottledPolls = 2;
    const outPath = path.join(dir, "blocking.mp4");
    await provider().animateImage({ imagePath, outPath, ...REQUEST, seconds: 2 });
    expect((await probeMedia(outPath)).durationSeconds).toBeCloseTo(2, 1);
    expect(fake.requestsTo(/^GET \/v1\/tasks\//)).toHaveLength(5);
  });

  it("reports a SAFETY failure as the safety message, and a bad output as retriable", async () => {
    fake.nextFailures.push({ failure: "The prompt was flagged.", failureCode: "SAFETY.INPUT.TEXT" });
    const runway = provider();
    const id = await runway.submit({ imagePath, ...REQUEST });
    await runway.check(id);
    await runway.check(id);
    const failed = await runway.check(id);
    expect(failed.state).toBe("failed");
    if (failed.state !== "failed") throw new Error("unreachable");
    expect(failed.error.kind).toBe("safety");
    expect(failed.error.message).toBe("Blocked by the provider's safety filter (Runway: SAFETY.INPUT.TEXT)");

    fake.nextFailures.push({
      failure: "An unexpected error occurred.",
      failureCode: "INTERNAL.BAD_OUTPUT.CODE01",
    });
    const err = await runway
      .animateImage({ imagePath, outPath: path.join(dir, "x.mp4"), ...REQUEST })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: "retriable" });
    expect(err.message).toBe(
      "Runway is temporarily unavailable: An unexpected error occurred. (INTERNAL.BAD_OUTPUT.CODE01)",
    );
  });

  it("maps a 400 with issues to invalid with Runway's reason", async () => {
    const err = await provider({ model: "gen3a_turbo" })
      .submit({ imagePath, ...REQUEST })
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "invalid", status: 400 });
    expect(err.message).toMatch(
      /^Runway rejected the request \(HTTP 400\): Invalid request body; model: Invalid enum value/,
    );
  });

  it("maps 429 to retriable with retry-after, 503 on a poll to retriable, 401 to auth", async () => {
    fake.script(RUNWAY_ERRORS.rateLimited(7));
    await expect(provider().submit({ imagePath, ...REQUEST })).rejects.toMatchObject({
      kind: "retriable",
      retryAfterSeconds: 7,
      message:
        "Runway is temporarily unavailable (HTTP 429): You have exceeded the rate limit for this model. Please try again later.; retry in 7 s",
    });
    const runway = provider();
    const id = await runway.submit({ imagePath, ...REQUEST });
    fake.script(RUNWAY_ERRORS.unavailable(503, /^GET \/v1\/tasks\//));
    await expect(runway.check(id)).rejects.toMatchObject({ kind: "retriable", status: 503 });
    await expect(provider({ apiKey: "key_wrong" }).submit({ imagePath, ...REQUEST })).rejects.toMatchObject({
      kind: "auth",
      message: "Runway refused Kadr's access (HTTP 401): Invalid API key.; check RUNWAYML_API_SECRET",
    });
  });

  it("retries a 502 inside the SDK when allowed, and maps a malformed body to retriable", async () => {
    fake.script({ ...RUNWAY_ERRORS.unavailable(502), headers: { "retry-after-ms": "1" } });
    await expect(provider({ maxRetries: 1 }).submit({ imagePath, ...REQUEST })).resolves.toEqual(
      expect.any(String),
    );
    fake.script(RUNWAY_ERRORS.malformed());
    const err = await provider()
      .submit({ imagePath, ...REQUEST })
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "retriable" });
  });
});
