/**
 * The ElevenLabs narration provider: `POST /v1/text-to-speech/{voice_id}/with-timestamps`
 * (`client.textToSpeech.convertWithTimestamps`,
 * https://elevenlabs.io/docs/api-reference/text-to-speech/convert-with-timestamps). Kadr asks for
 * `pcm_24000` (raw 16-bit mono, available on every plan) and wraps it in a WAV header; the
 * character alignment becomes word timings (`SynthesizedSpeech.words`) for the captions.
 */
import { ElevenLabsClient, ElevenLabsError, ElevenLabsTimeoutError } from "@elevenlabs/elevenlabs-js";
import { classifyHttpFailure, ProviderError, transientFailure } from "../errors";
import { reportUsage } from "../spend";
import type { SpokenWord, SynthesizedSpeech, SynthesizeInput, TtsProvider } from "./types";
import { pcm16ToWav } from "./wav";

/** Human name used in user-facing messages. */
export const ELEVENLABS_LABEL = "ElevenLabs";
const KEY_SETTING = "ELEVENLABS_API_KEY";
/** Sample rate of the requested `pcm_24000` output, in Hz. */
export const ELEVENLABS_SAMPLE_RATE = 24_000;
/** Voice speed range ElevenLabs accepts (`voice_settings.speed`). */
export const ELEVENLABS_SPEED = { min: 0.7, max: 1.2 } as const;
/** Default voice ("Rachel", a premade voice every account has; multilingual models speak Russian too). */
export const DEFAULT_ELEVENLABS_VOICE = "21m00Tcm4TlvDq8ikWAM";
/** Models that accept `language_code` (language enforcement). */
const LANGUAGE_CODE_MODELS = ["eleven_flash_v2_5", "eleven_turbo_v2_5"];
const FIT_MARGIN = 1.03;

/** Connection settings of the ElevenLabs client. */
export interface ElevenLabsConnection {
  /** ELEVENLABS_API_KEY. */
  apiKey: string;
  /** ELEVENLABS_BASE_URL (default https://api.elevenlabs.io). */
  baseUrl?: string;
  /** SDK retries of 408/429/5xx (default 2). */
  maxRetries?: number;
}

/** Builds the SDK client (https://github.com/elevenlabs/elevenlabs-js). */
export function createElevenLabsClient(connection: ElevenLabsConnection): ElevenLabsClient {
  return new ElevenLabsClient({
    apiKey: connection.apiKey,
    baseUrl: connection.baseUrl,
    maxRetries: connection.maxRetries,
  });
}

/** Options of `createElevenLabsTts`. */
export interface ElevenLabsTtsOptions {
  client: ElevenLabsClient;
  /** Resolved model id, e.g. "eleven_multilingual_v2" (see models.ts). */
  model: string;
  /** Voice id used when the request names none (default `DEFAULT_ELEVENLABS_VOICE`). */
  voice?: string;
}

/**
 * Classifies an error thrown by the ElevenLabs SDK: 401 (`invalid_api_key`, `quota_exceeded` —
 * ElevenLabs reports an exhausted quota as 401) and 403 → auth; 429/5xx → retriable with the
 * Retry-After hint; 404/422 and other 4xx → invalid with ElevenLabs' message; timeouts and network
 * errors → retriable.
 */
export function fromElevenLabsError(err: unknown): unknown {
  if (err instanceof ProviderError) return err;
  if (err instanceof ElevenLabsTimeoutError) return transientFailure(ELEVENLABS_LABEL, err.message, err);
  if (err instanceof ElevenLabsError) {
    if (err.statusCode === undefined) return transientFailure(ELEVENLABS_LABEL, err.message, err);
    const detail = (err.body as { detail?: unknown } | undefined)?.detail;
    let code: string | undefined;
    let reason: string | undefined;
    if (Array.isArray(detail)) {
      reason = detail
        .map(
          (d: { loc?: unknown[]; msg?: unknown }) =>
            `${(d.loc ?? []).filter((l) => l !== "body").join(".")}: ${String(d.msg)}`,
        )
        .join("; ");
    } else if (detail && typeof detail === "object") {
      const d = detail as { status?: unknown; message?: unknown };
      code = typeof d.status === "string" ? d.status : undefined;
      reason = typeof d.message === "string" ? d.message : code;
    }
    return classifyHttpFailure({
      provider: ELEVENLABS_LABEL,
      setting: KEY_SETTING,
      status: err.statusCode,
      headers: err.rawResponse?.headers,
      reason,
      code,
      cause: err,
    });
  }
  return err;
}

/** Groups a character alignment into words (split at whitespace), each from its first to last character. */
export function wordsFromAlignment(alignment: {
  characters: string[];
  characterStartTimesSeconds: number[];
  characterEndTimesSeconds: number[];
}): SpokenWord[] {
  const words: SpokenWord[] = [];
  let current: SpokenWord | undefined;
  alignment.characters.forEach((char, i) => {
    if (/\s/u.test(char)) {
      current = undefined;
      return;
    }
    const start = alignment.characterStartTimesSeconds[i] ?? 0;
    const end = alignment.characterEndTimesSeconds[i] ?? start;
    if (current) {
      current.text += char;
      current.endSeconds = end;
    } else {
      current = { text: char, startSeconds: start, endSeconds: end };
      words.push(current);
    }
  });
  return words;
}

function clampSpeed(speed: number): number {
  return Math.min(ELEVENLABS_SPEED.max, Math.max(ELEVENLABS_SPEED.min, speed));
}

async function speak(
  options: ElevenLabsTtsOptions,
  input: SynthesizeInput,
  text: string,
  speed: number,
): Promise<SynthesizedSpeech> {
  try {
    const response = await options.client.textToSpeech.convertWithTimestamps(
      input.voice ?? options.voice ?? DEFAULT_ELEVENLABS_VOICE,
      {
        text,
        modelId: options.model,
        outputFormat: "pcm_24000",
        voiceSettings: { speed },
        ...(LANGUAGE_CODE_MODELS.includes(options.model) ? { languageCode: input.language } : {}),
      },
    );
    const wav = pcm16ToWav(Buffer.from(response.audioBase64, "base64"), ELEVENLABS_SAMPLE_RATE);
    reportUsage({ model: options.model, quantities: { character: text.length } });
    return {
      wav,
      durationSeconds: (wav.length - 44) / (ELEVENLABS_SAMPLE_RATE * 2),
      ...(response.alignment ? { words: wordsFromAlignment(response.alignment) } : {}),
    };
  } catch (err) {
    throw fromElevenLabsError(err);
  }
}

async function synthesize(options: ElevenLabsTtsOptions, input: SynthesizeInput): Promise<SynthesizedSpeech> {
  const text = input.text.replace(/\s+/gu, " ").trim();
  if (!/[\p{L}\p{N}]/u.test(text))
    throw new RangeError("text to synthesize must contain at least one letter or digit");
  const { speed = 1, maxSeconds } = input;
  if (!(Number.isFinite(speed) && speed > 0))
    throw new RangeError(`speed must be a finite number > 0, got ${speed}`);
  if (maxSeconds !== undefined && !(Number.isFinite(maxSeconds) && maxSeconds > 0)) {
    throw new RangeError(`maxSeconds must be a finite number > 0, got ${maxSeconds}`);
  }
  let rate = clampSpeed(speed);
  let speech = await speak(options, input, text, rate);
  if (maxSeconds !== undefined && speech.durationSeconds > maxSeconds && rate < ELEVENLABS_SPEED.max) {
    rate = clampSpeed((rate * speech.durationSeconds * FIT_MARGIN) / maxSeconds);
    speech = await speak(options, input, text, rate);
  }
  return speech;
}

/**
 * Creates the ElevenLabs TTS provider (`name: "elevenlabs"`): a 24 kHz 16-bit mono WAV, its
 * duration and word timings. `speed` is clamped to 0.7–1.2; `maxSeconds` triggers one faster take
 * (as the other providers); `language` is sent as `language_code` to models that enforce it.
 *
 * @throws (from synthesize) RangeError on blank text or a non-positive speed/maxSeconds;
 *   ProviderError (`fromElevenLabsError`).
 */
export function createElevenLabsTts(options: ElevenLabsTtsOptions): TtsProvider {
  return { name: "elevenlabs", model: options.model, synthesize: (input) => synthesize(options, input) };
}
