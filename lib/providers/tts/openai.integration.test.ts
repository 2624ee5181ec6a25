import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiClient } from "../clients/openai";
import { OPENAI_ERRORS, type OpenAiFake, startOpenAiFake } from "../fakes/openai";
import { createOpenAiTts } from "./openai";
import { parseWav } from "./wav";

let fake: OpenAiFake;

beforeAll(async () => {
  fake = await startOpenAiFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(model = "gpt-4o-mini-tts") {
  const client = createOpenAiClient({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 });
  return createOpenAiTts({ client, model, voice: "marin" });
}

describe("OpenAI speech against the fake", () => {
  it("asks for 24 kHz PCM and returns a WAV with its exact duration", async () => {
    // 10 words at the fake's 2.5 words/s → 4 s.
    const speech = await provider().synthesize({
      text: "one two three four five six seven eight nine ten",
      language: "ru",
    });
    expect(parseWav(speech.wav)).toMatchObject({ sampleRate: 24_000, channels: 1, bitsPerSample: 16 });
    expect(speech.durationSeconds).toBeCloseTo(4, 5);
    expect(fake.requests[0]!.path).toBe("/v1/audio/speech");
    expect(fake.requests[0]!.headers.accept).toBe("application/octet-stream");
    expect(fake.requests[0]!.json).toEqual({
      model: "gpt-4o-mini-tts",
      input: "one two three four five six seven eight nine ten",
      voice: "marin",
      response_format: "pcm",
      speed: 1,
      instructions: "A calm, clear documentary narrator.",
    });
  });

  it("speaks faster once when the take overruns maxSeconds, and sends no instructions to tts-1", async () => {
    const speech = await provider("tts-1").synthesize({
      text: "one two three four five six seven eight nine ten",
      language: "en",
      speed: 1.2,
      maxSeconds: 2,
    });
    const speeds = fake.requests.map((r) => (r.json as { speed: number }).speed);
    // 10 words / 2.5 / 1.2 = 3.33 s > 2 s → 1.2 × 3.33 / 2 × 1.03 = 2.06.
    expect(speeds[0]).toBe(1.2);
    expect(speeds[1]).toBeCloseTo(2.06, 2);
    expect(speech.durationSeconds).toBeLessThanOrEqual(2);
    expect(fake.requests.every((r) => !("instructions" in (r.json as object)))).toBe(true);
  });

  it("maps an unknown voice to an invalid error with OpenAI's reason", async () => {
    await expect(
      provider().synthesize({ text: "hello", language: "en", voice: "robot" }),
    ).rejects.toMatchObject({
      kind: "invalid",
      status: 400,
      message: expect.stringMatching(/^OpenAI rejected the request \(HTTP 400\): Invalid value: 'robot'/),
    });
  });

  it("maps 429 to retriable with the hint, and 401 to auth", async () => {
    fake.script(OPENAI_ERRORS.rateLimited(4000));
    await expect(provider().synthesize({ text: "hello", language: "en" })).rejects.toMatchObject({
      kind: "retriable",
      retryAfterSeconds: 4,
    });
    fake.script(OPENAI_ERRORS.invalidKey());
    await expect(provider().synthesize({ text: "hello", language: "en" })).rejects.toMatchObject({
      kind: "auth",
    });
  });

  it("rejects blank and over-long text before calling OpenAI", async () => {
    await expect(provider().synthesize({ text: " … ", language: "en" })).rejects.toThrow(RangeError);
    await expect(provider().synthesize({ text: "a ".repeat(3000), language: "en" })).rejects.toThrow(
      /at most 4096/,
    );
    expect(fake.requests).toHaveLength(0);
  });
});
