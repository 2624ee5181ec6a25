import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { probeMedia } from "@/lib/media/probe";
import type { VideoProfile } from "@/lib/media/profile";
import { createFal } from "../clients/fal";
import { FAL_ERRORS, type FalFake, startFalFake } from "../fakes/fal";
import { fakePng } from "../fakes/media";
import { createFalImage } from "../image/fal";
import { createFalVideo } from "./fal";

const PROFILE: VideoProfile = {
  width: 320,
  height: 180,
  fps: 24,
  audioSampleRate: 48_000,
  audioChannels: 2,
  gopSeconds: 1,
};
const KLING = "fal-ai/kling-video/v2.1/standard/image-to-video";

let fake: FalFake;
let dir: string;
const REQUEST = {
  imagePath: "",
  seconds: 4,
  profile: PROFILE,
  motionPrompt: "pan left over the market",
  seed: 3,
};

beforeAll(async () => {
  fake = await startFalFake();
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-fal-"));
  REQUEST.imagePath = path.join(dir, "still.png");
  await fs.promises.writeFile(REQUEST.imagePath, await fakePng(320, 180));
});
afterAll(async () => {
  await fake.close();
  await fs.promises.rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
});

/** The real fal client, its queue origin rewritten to the fake by the request middleware. */
function client(key = fake.key) {
  return createFal({ key, baseUrl: fake.url });
}

describe("fal Kling video against the fake queue", () => {
  it("submits with the still as a data URI, checks the stripped status path, saves the result", async () => {
    const fal = createFalVideo({ client: client(), model: KLING });
    const id = await fal.submit(REQUEST);
    expect(id).toMatch(new RegExp(`^${KLING}#[0-9a-f-]{36}$`));
    const submit = fake.requests[0]!;
    expect(submit).toMatchObject({ method: "POST", path: `/${KLING}` });
    expect(submit.headers.authorization).toBe(`Key ${fake.key}`);
    expect(submit.json).toMatchObject({
      prompt: "pan left over the market",
      duration: "5",
      image_url: expect.stringMatching(/^data:image\/png;base64,/),
    });
    expect(await fal.check(id)).toEqual({ state: "pending" });
    expect(await fal.check(id)).toEqual({ state: "pending" });
    const done = await fal.check(id);
    expect(fake.requests.map((r) => r.path)).toContain(
      `/fal-ai/kling-video/requests/${id.split("#")[1]}/status`,
    );
    if (done.state !== "done") throw new Error(JSON.stringify(done));
    const outPath = path.join(dir, "kling.mp4");
    await fal.saveClip(done.source, { outPath, seconds: 4, profile: PROFILE });
    expect((await probeMedia(outPath)).durationSeconds).toBeCloseTo(4, 1);
  });

  it("reports a content-policy result as the safety message", async () => {
    fake.nextOutcomes.push({ kind: "content_policy" });
    const fal = createFalVideo({ client: client(), model: KLING, pollIntervalMs: 5 });
    const err = await fal.animateImage({ ...REQUEST, outPath: path.join(dir, "x.mp4") }).catch((e) => e);
    expect(err).toMatchObject({
      kind: "safety",
      message: "Blocked by the provider's safety filter (fal: content_policy_violation)",
    });
  });

  it("maps a 422 on submit to invalid with the field, 401/403 to auth, 5xx to retriable", async () => {
    const err = await createFalVideo({ client: client(), model: KLING })
      .submit({ ...REQUEST, motionPrompt: "" })
      .catch((e) => e);
    expect(err).toMatchObject({
      kind: "invalid",
      status: 422,
      message: "fal rejected the request (HTTP 422): prompt: field required",
    });
    await expect(
      createFalVideo({ client: client("wrong:key"), model: KLING }).submit(REQUEST),
    ).rejects.toMatchObject({
      kind: "auth",
      message: "fal refused Kadr's access (HTTP 401): Invalid authentication credentials; check FAL_KEY",
    });
    fake.script(FAL_ERRORS.forbidden());
    await expect(createFalVideo({ client: client(), model: KLING }).submit(REQUEST)).rejects.toMatchObject({
      kind: "auth",
      status: 403,
    });
    // fal's client retries 429/502/503/504 itself (1 s, 2 s, 4 s), so the fast path here is a 500.
    fake.script({ ...FAL_ERRORS.unavailable(), status: 500 });
    await expect(createFalVideo({ client: client(), model: KLING }).submit(REQUEST)).rejects.toMatchObject({
      kind: "retriable",
      status: 500,
    });
    const fal = createFalVideo({ client: client(), model: KLING });
    const id = await fal.submit(REQUEST);
    await fal.check(id);
    await fal.check(id);
    fake.script({ ...FAL_ERRORS.unavailable(/\/requests\/[0-9a-f-]+$/), status: 500 });
    await expect(fal.check(id)).rejects.toMatchObject({ kind: "retriable", status: 500 });
  });
});

describe("fal FLUX images against the fake queue", () => {
  it("renders the exact size through subscribe", async () => {
    const image = createFalImage({ client: client(), model: "fal-ai/flux/schnell", pollIntervalMs: 5 });
    const png = await image.renderImage({
      prompt: "a red kite",
      caption: "",
      width: 1280,
      height: 720,
      seed: "s",
    });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1280, 720]);
    expect(fake.requests[0]!.json).toMatchObject({
      prompt: "a red kite",
      image_size: { width: 1280, height: 720 },
      num_images: 1,
      output_format: "png",
    });
  });

  it("treats a flagged image as a safety refusal", async () => {
    fake.nextOutcomes.push({ kind: "nsfw" });
    const image = createFalImage({ client: client(), model: "fal-ai/flux/schnell", pollIntervalMs: 5 });
    await expect(
      image.renderImage({ prompt: "x", caption: "", width: 64, height: 64, seed: 1 }),
    ).rejects.toMatchObject({
      kind: "safety",
      message: "Blocked by the provider's safety filter (fal: has_nsfw_concepts)",
    });
  });
});
