/**
 * The narration (text-to-speech) provider.
 */
import type { Language } from "@/lib/storyboard/types";

/** Input of `TtsProvider.synthesize`. */
export interface SynthesizeInput {
  /** Text to speak (non-blank). */
  text: string;
  language: Language;
  /** Provider-specific voice id; the provider's default voice for `language` when omitted. */
  voice?: string;
  /** Speaking rate in words per minute, for providers that support it (local: espeak-ng `-s`, 80–450). */
  wordsPerMinute?: number;
  /**
   * Relative speed, > 0 (1 = the provider's normal rate, 1.3 = 30 % faster). Multiplies
   * `wordsPerMinute` (or the default rate); providers clamp the result to what they support.
   */
  speed?: number;
  /**
   * Longest acceptable duration in seconds: a provider that can change its rate speaks faster (up to
   * its maximum rate) when the first take is longer. Best effort — the result may still be longer.
   */
  maxSeconds?: number;
}

/** Result of `TtsProvider.synthesize`. */
export interface SynthesizedSpeech {
  /** A RIFF/WAVE file (PCM). */
  wav: Buffer;
  /** Duration of the audio in seconds, computed from the WAV header and data size. */
  durationSeconds: number;
  /**
   * When each word is spoken, for providers that report timing (ElevenLabs character alignment):
   * words in text order with start and end in seconds from the start of `wav`.
   */
  words?: SpokenWord[];
}

/** One word of synthesized speech and when it is spoken, in seconds. */
export interface SpokenWord {
  text: string;
  startSeconds: number;
  endSeconds: number;
}

/**
 * Speaks text. Implementations throw `RangeError` on invalid input (blank text, unknown voice,
 * rate out of range) and `Error` when synthesis fails.
 */
export interface TtsProvider {
  /** Provider id as selected by `KADR_TTS`, e.g. "local". */
  readonly name: string;
  /** Resolved model id of real providers (see models.ts), e.g. "gpt-4o-mini-tts"; absent for local. */
  readonly model?: string;
  synthesize(input: SynthesizeInput): Promise<SynthesizedSpeech>;
}
