/**
 * Local, offline narration: eSpeak NG compiled to WebAssembly (the `espeak-ng` npm package).
 *
 * Every call creates a fresh Emscripten instance (espeak-ng's `main()` runs once per instance) from
 * a `WebAssembly.Module` compiled once per process, writes the text into the instance's in-memory
 * file system and runs `espeak-ng -b 1 -v <voice> -s <wpm> -w /out.wav -f /in.txt`. Output: 16-bit
 * PCM WAV, 22 050 Hz, mono. ~0.1–0.25 s per call for 5–25 s of speech on a 2-core machine.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type ESpeakNgFactory from "espeak-ng";
import type { Language } from "@/lib/storyboard/types";
import type { SynthesizedSpeech, SynthesizeInput, TtsProvider } from "./types";
import { parseWav } from "./wav";

/** Default espeak-ng voice per language ("en-us": General American; "ru": Russian). */
export const DEFAULT_VOICES: Readonly<Record<Language, string>> = { en: "en-us", ru: "ru" };

/**
 * Default rate in espeak-ng words per minute (espeak's own default is 175). Measured here, 150 gives
 * ≈ 2.2 words/s in Russian and ≈ 2.6 words/s in English — a little faster than the planner's
 * `WORDS_PER_SECOND` (2.1 / 2.5), so planned narration fits its segments.
 */
export const DEFAULT_WORDS_PER_MINUTE = 150;
/** Rate limits accepted by espeak-ng's `-s`, in words per minute. */
export const MIN_WORDS_PER_MINUTE = 80;
export const MAX_WORDS_PER_MINUTE = 450;

/** Extra speed-up (3 %) applied when re-synthesizing to meet `maxSeconds`. */
const FIT_MARGIN = 1.03;
/** Re-synthesis attempts to meet `maxSeconds`. */
const FIT_ATTEMPTS = 2;

const VOICE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_+\-/.]{0,63}$/u;

let compiled: Promise<WebAssembly.Module> | null = null;

/** The espeak-ng WebAssembly module, read and compiled once per process (≈ 18 MB file). */
function espeakWasm(): Promise<WebAssembly.Module> {
  if (!compiled) {
    const require = createRequire(import.meta.url);
    const file = path.join(
      path.dirname(require.resolve(/* turbopackIgnore: true */ "espeak-ng")),
      "espeak-ng.wasm",
    );
    compiled = readFile(file).then((bytes) => WebAssembly.compile(bytes));
    compiled.catch(() => {
      compiled = null; // allow a retry after a transient failure
    });
  }
  return compiled;
}

/** Removes characters espeak-ng would choke on (control characters) and collapses whitespace. */
function cleanText(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s+/gu, " ")
    .trim();
}

/** One espeak-ng run; resolves to the WAV bytes. */
async function runEspeak(text: string, voice: string, wordsPerMinute: number): Promise<Buffer> {
  // Loaded at run time from node_modules, never bundled: Next's bundler cannot follow the package's
  // `new URL("./", import.meta.url)` and would hand `require.resolve` a module id instead of a path.
  const { default: ESpeakNg } = (await import(
    /* webpackIgnore: true */ /* turbopackIgnore: true */ "espeak-ng"
  )) as {
    default: typeof ESpeakNgFactory;
  };
  const wasm = await espeakWasm();
  const stderr: string[] = [];
  const savedExitCode = process.exitCode;
  let instance: Awaited<ReturnType<typeof ESpeakNgFactory>>;
  try {
    // Emscripten never settles its ready promise when instantiation fails: race it with our own.
    let failInstantiation: (e: unknown) => void = () => {};
    const instantiationFailed = new Promise<never>((_, reject) => {
      failInstantiation = reject;
    });
    instance = await Promise.race([
      ESpeakNg({
        arguments: [
          "-b",
          "1",
          "-v",
          voice,
          "-s",
          String(Math.round(wordsPerMinute)),
          "-w",
          "/out.wav",
          "-f",
          "/in.txt",
        ],
        print: () => {},
        printErr: (line) => stderr.push(line),
        preRun: [(m) => m.FS.writeFile("/in.txt", text)],
        instantiateWasm: (imports, receive) => {
          WebAssembly.instantiate(wasm, imports).then(receive, failInstantiation);
          return {};
        },
      }),
      instantiationFailed,
    ]);
  } catch (e) {
    throw new Error(`espeak-ng failed: ${stderr.join(" ") || String(e)}`);
  } finally {
    // Emscripten's exit handler sets process.exitCode (0 on success, 1 on failure); keep ours.
    process.exitCode = savedExitCode;
  }
  const message = stderr.filter((l) => !l.startsWith("program exited")).join(" ");
  if (/voice does not exist/iu.test(message)) throw new RangeError(`espeak-ng has no voice "${voice}"`);
  if (!instance.FS.analyzePath("/out.wav").exists) {
    throw new Error(`espeak-ng produced no audio${message ? `: ${message}` : ""}`);
  }
  return Buffer.from(instance.FS.readFile("/out.wav"));
}

/**
 * Speaks `text` with espeak-ng.
 *
 * - `voice`: an espeak-ng voice id (e.g. "ru", "en-us", "en", "en-us+f3"); default `DEFAULT_VOICES[language]`.
 * - `wordsPerMinute`: espeak rate, 80–450; default 150.
 * - `speed`: multiplier of that rate (> 0); the product is clamped to 80–450 wpm.
 * - `maxSeconds`: when the take is longer, re-synthesizes up to twice at
 *   `rate × duration / maxSeconds × 1.03` (capped at 450 wpm). Best effort.
 *
 * @returns `{ wav, durationSeconds }`: 16-bit PCM WAV, 22 050 Hz mono; duration in seconds from the
 *   WAV header.
 * @throws RangeError on blank text, an invalid or unknown voice, a `wordsPerMinute` outside 80–450,
 *   a non-positive `speed` or `maxSeconds`; Error when espeak-ng fails or writes an invalid WAV.
 */
export async function synthesizeLocal(input: SynthesizeInput): Promise<SynthesizedSpeech> {
  const text = cleanText(input.text);
  if (!/[\p{L}\p{N}]/u.test(text))
    throw new RangeError("text to synthesize must contain at least one letter or digit");
  const voice = input.voice ?? DEFAULT_VOICES[input.language];
  if (!VOICE_PATTERN.test(voice)) throw new RangeError(`invalid espeak-ng voice id "${voice}"`);
  let wpm = input.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE;
  if (!Number.isFinite(wpm) || wpm < MIN_WORDS_PER_MINUTE || wpm > MAX_WORDS_PER_MINUTE) {
    throw new RangeError(
      `wordsPerMinute must be from ${MIN_WORDS_PER_MINUTE} to ${MAX_WORDS_PER_MINUTE}, got ${input.wordsPerMinute}`,
    );
  }
  const { maxSeconds, speed } = input;
  if (speed !== undefined) {
    if (!(Number.isFinite(speed) && speed > 0))
      throw new RangeError(`speed must be a finite number > 0, got ${speed}`);
    wpm = Math.min(MAX_WORDS_PER_MINUTE, Math.max(MIN_WORDS_PER_MINUTE, wpm * speed));
  }
  if (maxSeconds !== undefined && !(Number.isFinite(maxSeconds) && maxSeconds > 0)) {
    throw new RangeError(`maxSeconds must be a finite number > 0, got ${maxSeconds}`);
  }
  let wav = await runEspeak(text, voice, wpm);
  let durationSeconds = parseWav(wav).durationSeconds;
  for (let attempt = 0; attempt < FIT_ATTEMPTS; attempt++) {
    if (maxSeconds === undefined || durationSeconds <= maxSeconds || wpm >= MAX_WORDS_PER_MINUTE) break;
    wpm = Math.min(MAX_WORDS_PER_MINUTE, Math.ceil((wpm * durationSeconds * FIT_MARGIN) / maxSeconds));
    wav = await runEspeak(text, voice, wpm);
    durationSeconds = parseWav(wav).durationSeconds;
  }
  return { wav, durationSeconds };
}

/** Creates the local TTS provider (`name: "local"`, see `synthesizeLocal`). */
export function createLocalTts(): TtsProvider {
  return { name: "local", synthesize: synthesizeLocal };
}
