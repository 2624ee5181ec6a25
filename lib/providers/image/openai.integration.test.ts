import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiClient } from "../clients/openai";
import { OPENAI_ERRORS, type OpenAiFake, startOpenAiFake } from "../fakes/openai";
import { createOpenAiImage, openAiImageSize } from "./openai";

let fake: OpenAiFake;

beforeAll(async () => {
  fake = await startOpenAiFake({ retiredModels: ["gpt-image-1"] });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(model = "gpt-image-2") {
  const client = createOpenAiClient({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 });
  return createOpenAiImage({ client, model });
}

const REQUEST = { prompt: "a lighthouse at dawn", caption: "", width: 1280, height: 720, seed: 1 };

describe("openAiImageSize", () => {
  it("asks GPT image 2 for the profile size (edges multiples of 16, within its pixel range)", () => {
    expect(openAiImageSize("gpt-image-2", 1280, 720)).toBe("1280x720");
    expect(openAiImageSize("gpt-image-2", 1080, 1080)).toBe("1088x1088");
    expect(openAiImageSize("gpt-image-2", 640, 360)).toBe("1088x608");
  });
  it("picks the fixed size of the same orientation for GPT image 1.x", () => {
    expect(openAiImageSize("gpt-image-1-mini", 1280, 720)).toBe("1536x1024");
    expect(openAiImageSize("gpt-image-1-mini", 720, 1280)).toBe("1024x1536");
    expect(openAiImageSize("gpt-image-1-mini", 1080, 1080)).toBe("1024x1024");
  });
});

describe("OpenAI images against the fake", () => {
  it.each([
    ["gpt-image-2", 1080, 1080, "1088x1088"],
    ["gpt-image-1-mini", 720, 1280, "1024x1536"],
  ])("%s renders a %ix%i PNG from a %s generation", async (model, width, height, size) => {
    const png = await provider(model).renderImage({ ...REQUEST, width, height });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(["png", width, height, 3]);
    expect(fake.requests[0]!.path).toBe("/v1/images/generations");
    expect(fake.requests[0]!.json).toEqual({
      model,
      prompt: "a lighthouse at dawn",
      n: 1,
      size,
      quality: "medium",
      output_format: "png",
      moderation: "auto",
    });
  });

  it("maps moderation_blocked to the safety message", async () => {
    fake.script(OPENAI_ERRORS.moderationBlocked());
    await expect(provider().renderImage(REQUEST)).rejects.toMatchObject({
      kind: "safety",
      message: "Blocked by the provider's safety filter (OpenAI: moderation_blocked)",
    });
  });

  it("maps a retired model to invalid, a 5xx to retriable, a bad key to auth", async () => {
    await expect(provider("gpt-image-1").renderImage(REQUEST)).rejects.toMatchObject({
      kind: "invalid",
      status: 404,
    });
    fake.script(OPENAI_ERRORS.serverError());
    await expect(provider().renderImage(REQUEST)).rejects.toMatchObject({ kind: "retriable", status: 500 });
    const client = createOpenAiClient({ apiKey: "sk-nope", baseURL: fake.baseURL, maxRetries: 0 });
    await expect(
      createOpenAiImage({ client, model: "gpt-image-2" }).renderImage(REQUEST),
    ).rejects.toMatchObject({
      kind: "auth",
      message: "OpenAI refused Kadr's access (HTTP 401): invalid_api_key; check OPENAI_API_KEY",
    });
  });

  it("rejects sizes outside 16–4096 px before calling OpenAI", async () => {
    await expect(provider().renderImage({ ...REQUEST, width: 8 })).rejects.toThrow(RangeError);
    expect(fake.requests).toHaveLength(0);
  });
});
