import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRunwayClient } from "../clients/runway";
import { RUNWAY_ERRORS, type RunwayFake, startRunwayFake } from "../fakes/runway";
import { createRunwayImage } from "./runway";

let fake: RunwayFake;

beforeAll(async () => {
  fake = await startRunwayFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(apiKey = fake.apiKey) {
  const client = createRunwayClient({ apiKey, baseURL: fake.url, maxRetries: 0 });
  return createRunwayImage({ client, model: "gen4_image", pollIntervalMs: 5 });
}

const REQUEST = { prompt: "a lighthouse at dawn", caption: "", width: 1080, height: 1080, seed: 42 };

describe("Runway images against the fake", () => {
  it("creates a text_to_image task, polls it and fits the output to the exact size", async () => {
    const png = await provider().renderImage(REQUEST);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1080, 1080]);
    expect(fake.requestsTo(/^POST \/v1\/text_to_image$/)[0]!.json).toEqual({
      model: "gen4_image",
      promptText: "a lighthouse at dawn",
      ratio: "1080:1080",
      seed: 42,
    });
    expect(fake.requestsTo(/^GET \/v1\/tasks\//)).toHaveLength(3);
    expect(fake.requestsTo(/^GET \/outputs\//)).toHaveLength(1);
  });

  it("cuts prompts to Runway's 1000 code units and picks the closest ratio", async () => {
    await provider().renderImage({ ...REQUEST, prompt: "x".repeat(1500), width: 720, height: 1280 });
    const body = fake.requestsTo(/^POST \/v1\/text_to_image$/)[0]!.json as {
      promptText: string;
      ratio: string;
    };
    expect(body.promptText).toHaveLength(1000);
    expect(body.ratio).toBe("720:1280");
  });

  it("maps a SAFETY.INPUT task failure to the safety message and 401 to auth", async () => {
    fake.nextFailures.push({ failure: "Input image flagged", failureCode: "SAFETY.INPUT.IMAGE" });
    await expect(provider().renderImage(REQUEST)).rejects.toMatchObject({
      kind: "safety",
      message: "Blocked by the provider's safety filter (Runway: SAFETY.INPUT.IMAGE)",
    });
    fake.script(RUNWAY_ERRORS.unauthorized());
    await expect(provider().renderImage(REQUEST)).rejects.toMatchObject({
      kind: "auth",
      setting: "RUNWAYML_API_SECRET",
    });
  });
});
