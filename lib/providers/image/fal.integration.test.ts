/**
 * fal image edits (FLUX.1 Kontext) and upscales (Clarity) through the real @fal-ai/client against
 * the strict fal fake: request shapes, output sizes, the fake's 422 validation, safety refusals,
 * auth failures and a 429 with a Retry-After hint.
 */
import { NonRetriableError, RetryAfterError } from "inngest";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFal, fromFalError } from "../clients/fal";
import { toInngestError } from "../errors";
import { type FalFake, startFalFake } from "../fakes/fal";
import { fakePng } from "../fakes/media";
import { createFalImage, nearestAspectRatio } from "./fal";

const KONTEXT = "fal-ai/flux-pro/kontext";
const CLARITY = "fal-ai/clarity-upscaler";

let fake: FalFake;
let still: Buffer;

beforeAll(async () => {
  fake = await startFalFake({ pollsUntilDone: 1 });
  still = await fakePng(640, 360, 2);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

/** The real fal client, its queue origin rewritten to the fake; the provider with Kontext and Clarity. */
function provider(key = fake.key) {
  return createFalImage({
    client: createFal({ key, baseUrl: fake.url }),
    model: "fal-ai/flux/schnell",
    editModel: KONTEXT,
    upscaleModel: CLARITY,
    pollIntervalMs: 5,
  });
}

/** Mean absolute difference per channel (0–255) of two same-size images. */
async function meanAbsDiff(a: Buffer, b: Buffer): Promise<number> {
  const [ra, rb] = await Promise.all([a, b].map((x) => sharp(x).removeAlpha().raw().toBuffer()));
  let sum = 0;
  for (let i = 0; i < ra!.length; i++) sum += Math.abs(ra![i]! - rb![i]!);
  return sum / ra!.length;
}

describe("fal FLUX.1 Kontext edits", () => {
  it("sends the instruction and the picture as a PNG data URI and returns the exact frame", async () => {
    const edit = { image: still, instruction: "make the sky red", width: 1280, height: 720, seed: "s#1" };
    const png = await provider().editImage!(edit);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1280, 720]);
    const submit = fake.requestsTo(new RegExp(`^POST /${KONTEXT}$`));
    expect(submit).toHaveLength(1);
    expect(submit[0]!.headers.authorization).toBe(`Key ${fake.key}`);
    expect(submit[0]!.json).toMatchObject({
      prompt: "make the sky red",
      image_url: `data:image/png;base64,${still.toString("base64")}`,
      aspect_ratio: "16:9",
      num_images: 1,
      output_format: "png",
      safety_tolerance: "2",
      seed: expect.any(Number),
    });
    // Kontext answered 1344×736 (≥ the frame): no upscale was needed.
    expect(fake.requestsTo(new RegExp(`^POST /${CLARITY}$`))).toHaveLength(0);
    // The picture changed (the fake recolours it) but is still the same picture, fitted.
    const before = await sharp(still).resize(1280, 720).png().toBuffer();
    expect(await meanAbsDiff(png, before)).toBeGreaterThan(10);
  });

  it("upscales Kontext's ~1 MP answer before fitting a 9:16 frame of 1080×1920", async () => {
    const portrait = await fakePng(360, 640, 4);
    const png = await provider().editImage!({
      image: portrait,
      instruction: "add snow",
      width: 1080,
      height: 1920,
      seed: 3,
    });
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([1080, 1920]);
    expect(fake.requestsTo(new RegExp(`^POST /${KONTEXT}$`))[0]!.json).toMatchObject({
      aspect_ratio: "9:16",
    });
    // 736×1344 from Kontext; 1080 / 736 = 1.467… → factor 1.47.
    const upscale = fake.requestsTo(new RegExp(`^POST /${CLARITY}$`));
    expect(upscale).toHaveLength(1);
    expect(upscale[0]!.json).toMatchObject({
      image_url: expect.stringMatching(/^data:image\/png;base64,/),
      upscale_factor: 1.47,
    });
  });

  it("picks the nearest Kontext aspect ratio", () => {
    expect(nearestAspectRatio(1280, 720)).toBe("16:9");
    expect(nearestAspectRatio(720, 1280)).toBe("9:16");
    expect(nearestAspectRatio(1080, 1080)).toBe("1:1");
    expect(nearestAspectRatio(1000, 700)).toBe("3:2");
  });

  it("treats a flagged edit and a content-policy result as safety refusals", async () => {
    const edit = { image: still, instruction: "something flagged", width: 640, height: 360, seed: 1 };
    fake.nextOutcomes.push({ kind: "nsfw" });
    await expect(provider().editImage!(edit)).rejects.toMatchObject({
      name: "ProviderError",
      kind: "safety",
      message: "Blocked by the provider's safety filter (fal: has_nsfw_concepts)",
    });
    fake.nextOutcomes.push({ kind: "content_policy" });
    await expect(provider().editImage!(edit)).rejects.toMatchObject({
      kind: "safety",
      reason: "content_policy_violation",
    });
  });

  it("refuses an undecodable picture with the fake's 422, mapped to invalid", async () => {
    const err = await provider().editImage!({
      image: Buffer.from("not a png"),
      instruction: "x",
      width: 64,
      height: 64,
      seed: 1,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: "invalid",
      status: 422,
      message:
        "fal rejected the request (HTTP 422): image_url: Could not load the image from the provided data URI",
    });
  });

  it("rejects blank instructions before calling fal", async () => {
    await expect(
      provider().editImage!({ image: still, instruction: "  ", width: 64, height: 64, seed: 1 }),
    ).rejects.toThrow(RangeError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("the fal fake's validation (raw client)", () => {
  const client = () => createFal({ key: fake.key, baseUrl: fake.url });

  it("answers 422 with Pydantic details for a missing image_url and a wrong enum type", async () => {
    const err = await client()
      .subscribe(KONTEXT, { input: { prompt: "make it red", safety_tolerance: 2 } as never })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: "ValidationError",
      status: 422,
      body: {
        detail: [
          { loc: ["body", "image_url"], msg: "field required", type: "value_error.missing" },
          { loc: ["body", "safety_tolerance"], type: "type_error.enum" },
        ],
      },
    });
    expect(fromFalError(err)).toMatchObject({
      kind: "invalid",
      message: expect.stringContaining("image_url: field required"),
    });
  });

  it("refuses an upscale factor above 4 and an image_url that is neither a URL nor a data URI", async () => {
    const err = await client()
      .subscribe(CLARITY, { input: { image_url: "file:///etc/passwd", upscale_factor: 8 } })
      .catch((e: unknown) => e);
    expect((err as { body: { detail: { loc: string[] }[] } }).body.detail.map((d) => d.loc[1])).toEqual([
      "image_url",
      "upscale_factor",
    ]);
  });
});

describe("fal Clarity upscales", () => {
  it("enlarges by the factor and reports the output megapixels", async () => {
    const png = await provider().upscaleImage!({ image: still, scale: 2 });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1280, 720]);
    expect(fake.requestsTo(new RegExp(`^POST /${CLARITY}$`))[0]!.json).toMatchObject({
      upscale_factor: 2,
      enable_safety_checker: true,
    });
    // The status path is the app's (no subpath to strip for a two-part endpoint id).
    expect(
      fake.requestsTo(/^GET \/fal-ai\/clarity-upscaler\/requests\/[0-9a-f-]+\/status$/).length,
    ).toBeGreaterThan(0);
  });

  it("rejects factors outside (1, 4] before calling fal", async () => {
    await expect(provider().upscaleImage!({ image: still, scale: 1 })).rejects.toThrow(RangeError);
    await expect(provider().upscaleImage!({ image: still, scale: 5 })).rejects.toThrow(/scale must be/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("fal failures on edit and upscale", () => {
  it("maps 401 to auth naming FAL_KEY (NonRetriableError)", async () => {
    const err = await provider("wrong:key").upscaleImage!({ image: still, scale: 2 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: "auth", message: expect.stringContaining("check FAL_KEY") });
    expect(toInngestError(err)).toBeInstanceOf(NonRetriableError);
  });

  it("maps a 429 that outlasts the SDK's retries to retriable with the Retry-After hint", async () => {
    const tooMany = {
      match: new RegExp(`^POST /${KONTEXT}$`),
      status: 429,
      headers: { "retry-after": "7" },
      json: { detail: "Too many concurrent requests" },
    };
    // fal-js retries a 429 three times itself (about 1 + 2 + 4 s): all four attempts fail.
    fake.script(tooMany, tooMany, tooMany, tooMany);
    const err = await provider().editImage!({
      image: still,
      instruction: "make it red",
      width: 64,
      height: 64,
      seed: 1,
    }).catch((e: unknown) => e);
    expect(fake.requestsTo(new RegExp(`^POST /${KONTEXT}$`))).toHaveLength(4);
    expect(err).toMatchObject({ kind: "retriable", status: 429, retryAfterSeconds: 7 });
    const retry = toInngestError(err);
    expect(retry).toBeInstanceOf(RetryAfterError);
    expect((retry as RetryAfterError).retryAfter).toBe("7");
  }, 20_000);
});
