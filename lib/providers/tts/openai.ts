/**
 * The OpenAI narration provider: `POST /v1/audio/speech`
 * (https://platform.openai.com/docs/api-reference/audio/createSpeech; openai-node
 * src/resources/audio/speech.ts). Kadr asks for `pcm` (raw 24 kHz 16-bit little-endian mono) and
 * wraps it in a WAV header itself, so the duration is exact. The voices are multilingual; the same
 * voice speaks Russian and English.
 */
import type OpenAI from "openai";
import { fromOpenAiError } from "../clients/openai";
import { reportUsage } from "../spend";
import type { SynthesizedSpeech, SynthesizeInput, TtsProvider } from "./types";
import { pcm16ToWav } from "./wav";

/** Options of `createOpenAiTts`. */
export interface OpenAiTtsOptions {
  client: OpenAI;
  /** Resolved model id, e.g. "gpt-4o-mini-tts" (see models.ts). */
  model: string;
  /** Voice used when the request names none (default "coral"). */
  voice?: string;
  /** Delivery instructions for gpt-4o-mini-tts models (ignored by tts-1*). */
  instructions?: string;
}

/** Sample rate of OpenAI's `pcm` output, in Hz. */
export const OPENAI_SPEECH_SAMPLE_RATE = 24_000;
/** Speed range accepted by the endpoint. */
export const OPENAI_SPEED = { min: 0.25, max: 4 } as const;
/** Longest input accepted per request, in characters. */
export const OPENAI_SPEECH_MAX_CHARS = 4096;
/** Extra speed-up applied when re-synthesizing to meet `maxSeconds` (3 %, as the local provider). */
const FIT_MARGIN = 1.03;
const DEFAULT_INSTRUCTIONS = "A calm, clear documentary narrator.";

function clampSpeed(speed: number): number {
  return Math.min(OPENAI_SPEED.max, Math.max(OPENAI_SPEED.min, speed));
}

async function speak(options: OpenAiTtsOptions, text: string, voice: string, speed: number): Promise<Buffer> {
  const instructions = options.model.startsWith("tts-1")
    ? undefined
    : (options.instructions ?? DEFAULT_INSTRUCTIONS);
  try {
    const response = await options.client.audio.speech.create({
      model: options.model,
      input: text,
      voice,
      response_format: "pcm",
      speed,
      ...(instructions ? { instructions } : {}),
    });
    const wav = pcm16ToWav(Buffer.from(await response.arrayBuffer()), OPENAI_SPEECH_SAMPLE_RATE);
    const seconds = (wav.length - 44) / (OPENAI_SPEECH_SAMPLE_RATE * 2);
    reportUsage({ model: options.model, quantities: { audio_second: seconds, character: text.length } });
    return wav;
  } catch (err) {
    throw fromOpenAiError(err);
  }
}

/**
 * Speaks `text` (≤ 4096 characters) with `voice` (default: the provider's). `speed` is clamped to
 * 0.25–4; `wordsPerMinute` is not supported and ignored. When the take is longer than
 * `maxSeconds`, speaks it once more at `speed × duration / maxSeconds × 1.03` (clamped).
 *
 * @returns a 24 kHz 16-bit mono WAV and its duration in seconds.
 * @throws RangeError on blank or too long text or a non-positive speed/maxSeconds; ProviderError on
 *   OpenAI failures.
 */
async function synthesize(options: OpenAiTtsOptions, input: SynthesizeInput): Promise<SynthesizedSpeech> {
  const text = input.text.replace(/\s+/gu, " ").trim();
  if (!/[\p{L}\p{N}]/u.test(text))
    throw new RangeError("text to synthesize must contain at least one letter or digit");
  if (text.length > OPENAI_SPEECH_MAX_CHARS) {
    throw new RangeError(
      `text is ${text.length} characters; OpenAI speech takes at most ${OPENAI_SPEECH_MAX_CHARS}`,
    );
  }
  const { speed = 1, maxSeconds } = input;
  if (!(Number.isFinite(speed) && speed > 0))
    throw new RangeError(`speed must be a finite number > 0, got ${speed}`);
  if (maxSeconds !== undefined && !(Number.isFinite(maxSeconds) && maxSeconds > 0)) {
    throw new RangeError(`maxSeconds must be a finite number > 0, got ${maxSeconds}`);
  }
  const voice = input.voice ?? options.voice ?? "coral";
  let rate = clampSpeed(speed);
  let wav = await speak(options, text, voice, rate);
  let durationSeconds = (wav.length - 44) / (OPENAI_SPEECH_SAMPLE_RATE * 2);
  if (maxSeconds !== undefined && durationSeconds > maxSeconds && rate < OPENAI_SPEED.max) {
    rate = clampSpeed((rate * durationSeconds * FIT_MARGIN) / maxSeconds);
    wav = await speak(options, text, voice, rate);
    durationSeconds = (wav.length - 44) / (OPENAI_SPEECH_SAMPLE_RATE * 2);
  }
  return { wav, durationSeconds };
}

/** Creates the OpenAI TTS provider (`name: "openai"`, see `synthesize`). */
export function createOpenAiTts(options: OpenAiTtsOptions): TtsProvider {
  return { name: "openai", model: options.model, synthesize: (input) => synthesize(options, input) };
}
