import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ELEVENLABS_ERRORS, type ElevenLabsFake, startElevenLabsFake } from "../fakes/elevenlabs";
import { createElevenLabsClient, createElevenLabsTts, wordsFromAlignment } from "./elevenlabs";
import { parseWav } from "./wav";

let fake: ElevenLabsFake;

beforeAll(async () => {
  fake = await startElevenLabsFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(options: { apiKey?: string; model?: string; maxRetries?: number } = {}) {
  const client = createElevenLabsClient({
    apiKey: options.apiKey ?? fake.apiKey,
    baseUrl: fake.url,
    maxRetries: options.maxRetries ?? 0,
  });
  return createElevenLabsTts({ client, model: options.model ?? "eleven_multilingual_v2" });
}

describe("wordsFromAlignment", () => {
  it("groups characters into words with the first start and the last end", () => {
    expect(
      wordsFromAlignment({
        characters: [..."Hi, you"],
        characterStartTimesSeconds: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        characterEndTimesSeconds: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
      }),
    ).toEqual([
      { text: "Hi,", startSeconds: 0, endSeconds: 0.3 },
      { text: "you", startSeconds: 0.4, endSeconds: 0.7 },
    ]);
  });
});

describe("ElevenLabs with timestamps against the fake", () => {
  it("asks for pcm_24000 and returns a WAV, its duration and word timings", async () => {
    const speech = await provider().synthesize({ text: "Coffee starts as a cherry.", language: "en" });
    expect(parseWav(speech.wav)).toMatchObject({ sampleRate: 24_000, channels: 1, bitsPerSample: 16 });
    expect(speech.durationSeconds).toBeCloseTo(2, 3); // 5 words at the fake's 2.5 words/s
    expect(speech.words?.map((w) => w.text)).toEqual(["Coffee", "starts", "as", "a", "cherry."]);
    expect(speech.words?.at(-1)?.endSeconds).toBeCloseTo(2, 2);
    const request = fake.requests[0]!;
    expect(request.path).toBe("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/with-timestamps");
    expect(request.query.get("output_format")).toBe("pcm_24000");
    expect(request.headers["xi-api-key"]).toBe(fake.apiKey);
    expect(request.json).toEqual({
      text: "Coffee starts as a cherry.",
      model_id: "eleven_multilingual_v2",
      voice_settings: { speed: 1 },
    });
  });

  it("sends language_code to flash models and speeds up once (within 0.7–1.2) to meet maxSeconds", async () => {
    const speech = await provider({ model: "eleven_flash_v2_5" }).synthesize({
      text: "one two three four five six seven eight nine ten",
      language: "ru",
      maxSeconds: 3,
    });
    expect(
      fake.requests.map((r) => (r.json as { voice_settings: { speed: number } }).voice_settings.speed),
    ).toEqual([1, 1.2]);
    expect((fake.requests[0]!.json as { language_code: string }).language_code).toBe("ru");
    expect(speech.durationSeconds).toBeCloseTo(3.33, 2);
  });

  it("maps quota_exceeded (401) to auth without retrying, naming ELEVENLABS_API_KEY", async () => {
    fake.script(ELEVENLABS_ERRORS.quotaExceeded());
    const err = await provider({ maxRetries: 2 })
      .synthesize({ text: "hello", language: "en" })
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "auth", status: 401 });
    expect(err.message).toBe(
      "ElevenLabs refused Kadr's access (HTTP 401): quota_exceeded; check ELEVENLABS_API_KEY",
    );
    expect(fake.requests).toHaveLength(1);
  });

  it("maps 429 with Retry-After to retriable (and the SDK retries it when allowed), 500 to retriable", async () => {
    fake.script(ELEVENLABS_ERRORS.tooManyConcurrent(3));
    await expect(provider().synthesize({ text: "hello", language: "en" })).rejects.toMatchObject({
      kind: "retriable",
      retryAfterSeconds: 3,
    });
    fake.script(ELEVENLABS_ERRORS.serverError());
    await expect(provider().synthesize({ text: "hello", language: "en" })).rejects.toMatchObject({
      kind: "retriable",
      status: 500,
    });
  });

  it("maps an unknown voice (404) and a validation error (422) to invalid with the reason", async () => {
    await expect(
      provider().synthesize({ text: "hello", language: "en", voice: "nope" }),
    ).rejects.toMatchObject({
      kind: "invalid",
      message: "ElevenLabs rejected the request (HTTP 404): A voice with voice_id nope was not found.",
    });
    await expect(
      provider({ apiKey: "wrong" }).synthesize({ text: "hello", language: "en" }),
    ).rejects.toMatchObject({
      kind: "auth",
      message: "ElevenLabs refused Kadr's access (HTTP 401): invalid_api_key; check ELEVENLABS_API_KEY",
    });
  });
});
