/**
 * Strict local fake of ElevenLabs text-to-speech with timestamps
 * (https://elevenlabs.io/docs/api-reference/text-to-speech/convert-with-timestamps; elevenlabs-js
 * src/api/resources/textToSpeech/client/Client.ts): `POST /v1/text-to-speech/{voice_id}/with-timestamps?output_format=…`
 * with `xi-api-key`, a snake_case JSON body, answering `{ audio_base64, alignment,
 * normalized_alignment }` — real PCM or MP3 audio and a character alignment spread evenly over it.
 * Errors use `{"detail":{"status","message"}}`, validation errors 422 `{"detail":[{loc,msg,type}]}`.
 */
import { fakeMp3, fakePcm16 } from "./media";
import { type FakeReply, type FakeRequest, FakeServer, jsonObject, type ScriptedReply } from "./server";

const MODELS = ["eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3"];
const PCM_RATES: Record<string, number> = { pcm_16000: 16_000, pcm_22050: 22_050, pcm_24000: 24_000 };

/** An ElevenLabs error reply. */
export function elevenLabsError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): FakeReply {
  return { status, headers, json: { detail: { status: code, message } } };
}

/** Scripted error replies with ElevenLabs' bodies (shared/notes/providers.md §6.2). */
export const ELEVENLABS_ERRORS = {
  /** 401 quota_exceeded: the account is out of characters (not a rate limit). */
  quotaExceeded: (match?: RegExp): ScriptedReply => ({
    match,
    ...elevenLabsError(
      401,
      "quota_exceeded",
      "This request exceeds your quota of 10000. You have 0 credits remaining, while 91 credits are required for this request.",
    ),
  }),
  /** 429 too_many_concurrent_requests with Retry-After in seconds. */
  tooManyConcurrent: (retryAfterSeconds: number, match?: RegExp): ScriptedReply => ({
    match,
    ...elevenLabsError(429, "too_many_concurrent_requests", "Too many concurrent requests.", {
      "retry-after": String(retryAfterSeconds),
    }),
  }),
  /** 500. */
  serverError: (match?: RegExp): ScriptedReply => ({
    match,
    ...elevenLabsError(500, "internal_error", "An internal error occurred."),
  }),
};

/** The ElevenLabs fake. */
export class ElevenLabsFake extends FakeServer {
  readonly apiKey: string;
  readonly voices: string[];

  constructor(options: { apiKey?: string; voices?: string[] } = {}) {
    super();
    this.apiKey = options.apiKey ?? "el-test-key";
    this.voices = options.voices ?? ["21m00Tcm4TlvDq8ikWAM", "JBFqnCBsd6RMkjVDRZzb"];
  }

  protected override async handle(request: FakeRequest): Promise<FakeReply> {
    if (request.headers["xi-api-key"] !== this.apiKey)
      return elevenLabsError(401, "invalid_api_key", "Invalid API key");
    const match = /^\/v1\/text-to-speech\/([^/]+)\/with-timestamps$/.exec(request.path);
    if (!match) return { status: 404, json: { detail: "Not Found" } };
    if (request.method !== "POST") return { status: 405, json: { detail: "Method Not Allowed" } };
    if (!this.voices.includes(match[1]!))
      return elevenLabsError(404, "voice_not_found", `A voice with voice_id ${match[1]} was not found.`);
    const body = jsonObject(request);
    const text = body?.text;
    if (typeof text !== "string" || text.trim() === "") {
      return {
        status: 422,
        json: { detail: [{ loc: ["body", "text"], msg: "field required", type: "value_error.missing" }] },
      };
    }
    const model = body!.model_id ?? "eleven_multilingual_v2";
    if (!MODELS.includes(String(model)))
      return elevenLabsError(400, "model_not_found", `A model with model ID ${model} does not exist.`);
    const settings = (body!.voice_settings ?? {}) as Record<string, unknown>;
    const speed = Number(settings.speed ?? 1);
    if (!(speed >= 0.7 && speed <= 1.2)) {
      return {
        status: 422,
        json: {
          detail: [
            {
              loc: ["body", "voice_settings", "speed"],
              msg: "ensure this value is between 0.7 and 1.2",
              type: "value_error.number",
            },
          ],
        },
      };
    }
    const format = request.query.get("output_format") ?? "mp3_44100_128";
    const seconds = Math.max(0.5, Math.round((text.split(/\s+/).length / 2.5 / speed) * 100) / 100);
    let audio: Buffer;
    if (PCM_RATES[format]) audio = fakePcm16(seconds, PCM_RATES[format]!);
    else if (format === "mp3_44100_128") audio = await fakeMp3(seconds);
    else
      return {
        status: 400,
        json: { detail: { status: "invalid_output_format", message: `The fake does not produce ${format}` } },
      };
    const characters = [...text];
    const step = seconds / characters.length;
    const starts = characters.map((_, i) => Math.round(i * step * 1000) / 1000);
    const ends = characters.map((_, i) => Math.round((i + 1) * step * 1000) / 1000);
    return {
      status: 200,
      headers: { "request-id": `req-${Date.now()}` },
      json: {
        audio_base64: audio.toString("base64"),
        alignment: { characters, character_start_times_seconds: starts, character_end_times_seconds: ends },
        normalized_alignment: {
          characters: [" ", ...characters, " "],
          character_start_times_seconds: [0, ...starts, seconds],
          character_end_times_seconds: [0, ...ends, seconds],
        },
      },
    };
  }
}

/** Starts an ElevenLabs fake on 127.0.0.1; give the SDK `fake.url` as `baseUrl`. */
export function startElevenLabsFake(options?: {
  apiKey?: string;
  voices?: string[];
}): Promise<ElevenLabsFake> {
  return new ElevenLabsFake(options).start();
}
