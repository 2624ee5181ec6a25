/**
 * The soundtrack of the final video: the narration, an optional background music bed under it, and
 * the loudness of the whole mix.
 *
 * Music bed: the music file is looped to the video's length (-stream_loop), faded in and out, set
 * to `levelDb` relative to the narration's loudness, and lowered by `duckDb` wherever the narration
 * speaks. Ducking is a volume envelope (https://ffmpeg.org/ffmpeg-filters.html#volume, per-frame
 * expression) built from the narration's own speech spans (silencedetect on the measuring pass),
 * rather than sidechaincompress: the envelope knows the speech in advance, so the music is down
 * *before* the first syllable (a compressor reacts after it), the depth is exactly duckDb instead
 * of depending on how loud each word is, and it does not pump between words.
 *
 * Loudness: two-pass linear normalization to `loudnessLufs` (EBU R128 integrated, default −16):
 * pass 1 measures (ebur128, loudness.ts), pass 2 applies the gain target − measured to the whole
 * mix with `volume`, followed by a look-ahead peak limiter at −1 dBFS (alimiter,
 * https://ffmpeg.org/ffmpeg-filters.html#alimiter, delay compensated) that only touches the rare
 * peaks the gain pushes over. This is what loudnorm's linear mode does
 * (https://ffmpeg.org/ffmpeg-filters.html#loudnorm), without loudnorm's resampling to 192 kHz
 * (~3.8 s per 4 min on a 2-core machine, against ~0.5 s for ebur128) and without its dynamic mode,
 * which would compress the mix. With music there is one more measuring pass, so the passes are:
 * (1) narration loudness + speech spans, and the music's loudness (two ffmpeg runs in parallel);
 * (2) the loudness of the ducked mix; (3) the encode. Without music: (1) and (3).
 *
 * The default bed (defaultMusicBed) is synthesized here in code: a soft pad of A minor – F – C – G,
 * 4 s per chord, a seamless 16 s loop, written as a WAV (no download, no ffmpeg needed).
 */
import { writeFile } from "node:fs/promises";
import { audioFormatFilters } from "./encoding";
import { MediaError } from "./errors";
import { runFfmpeg } from "./ffmpeg";
import { type AudioAnalysis, analyzeAudio, parseIntegratedLufs, SILENCE_LUFS, type Span } from "./loudness";
import type { VideoProfile } from "./profile";

export interface MusicBed {
  /**
   * Absolute path of the music: any audio file ffmpeg decodes (WAV, FLAC, MP3, AAC…). It is
   * looped to the video's length; a loop made for it (like defaultMusicBed's) joins seamlessly,
   * other music may click at the seam (AAC/MP3 add padding at both ends).
   */
  path: string;
  /**
   * Loudness of the bed where nobody speaks, relative to the narration's integrated loudness, in
   * dB (LU). Default −10. When the narration is silent, relative to loudnessLufs.
   */
  levelDb?: number;
  /** How much further the bed is lowered while the narration speaks, in dB (≥ 0, default 12). */
  duckDb?: number;
  /** Fade-in at the start of the video, seconds (default 1). */
  fadeInSeconds?: number;
  /** Fade-out at the end of the video, seconds (default 2). */
  fadeOutSeconds?: number;
}

/** Default loudness target of the final mix: EBU R128 integrated, LUFS (streaming platforms' −16). */
export const DEFAULT_LOUDNESS_LUFS = -16;
export const DEFAULT_MUSIC_LEVEL_DB = -8;
export const DEFAULT_DUCK_DB = 12;
/** Look-ahead peak limit after the loudness gain, dBFS. */
const LIMIT_DBFS = -1;
/** The envelope lowers the music this long before speech starts, seconds. */
const DUCK_ATTACK_SECONDS = 0.3;
/** …and brings it back up over this long after speech ends, seconds. */
const DUCK_RELEASE_SECONDS = 0.6;
/** Narration quieter than this is treated as silent for levelling the bed, LUFS. */
const SILENT_NARRATION_LUFS = SILENCE_LUFS + 1;

export interface SoundtrackOptions {
  /** Absolute path of the narration (any audio; it is decoded, mixed and re-encoded). */
  narrationPath: string;
  /** The bed under the narration; unset = narration only. */
  music?: MusicBed;
  /** Target integrated loudness of the mix in LUFS (−40 to −5; default −16). */
  loudnessLufs?: number;
  /** Length of the soundtrack in seconds (the video's). */
  totalSeconds: number;
  profile: VideoProfile;
}

/** A planned soundtrack: ffmpeg inputs and the filter graph ending in `[soundtrack]`. */
export interface SoundtrackPlan {
  /** Input arguments, in order: the narration, then (with music) the looped music file. */
  inputArgs: string[];
  /** Files the inputs read (for the wasm backend). */
  inputFiles: string[];
  /** Builds the graph for inputs that start at `firstInput`; the output label is [soundtrack]. */
  graph: (firstInput: number) => string;
  /** What the measuring passes found, for logs and tests. */
  measured: { narrationLufs: number; musicLufs?: number; mixLufs: number; gainDb: number };
}

/**
 * Measures the narration (and music) and plans the final mix: narration + ducked bed, gain to
 * loudnessLufs, peak limiter. The caller adds `inputArgs` to its ffmpeg command and the graph to its
 * -filter_complex, and maps [soundtrack] to an audio encoder.
 * @throws MediaError INVALID_INPUT for a target outside −40…−5 LUFS, a negative duckDb or fade, a
 *   levelDb above 0; FFMPEG_FAILED when the narration or the music cannot be decoded.
 */
export async function planSoundtrack(options: SoundtrackOptions): Promise<SoundtrackPlan> {
  const { narrationPath, music, totalSeconds, profile } = options;
  const target = options.loudnessLufs ?? DEFAULT_LOUDNESS_LUFS;
  assertSoundtrackOptions(target, music);
  const [narration, musicAnalysis] = await Promise.all([
    analyzeAudio(narrationPath, { detectSpeech: music !== undefined, seconds: totalSeconds }),
    music ? analyzeAudio(music.path) : Promise.resolve(undefined),
  ]);
  const inputArgs = ["-i", narrationPath, ...(music ? ["-stream_loop", "-1", "-i", music.path] : [])];
  const inputFiles = [narrationPath, ...(music ? [music.path] : [])];
  if (!music || !musicAnalysis) {
    const gainDb = narration.integratedLufs > SILENT_NARRATION_LUFS ? target - narration.integratedLufs : 0;
    return {
      inputArgs,
      inputFiles,
      graph: (first) => voiceOnlyGraph(first, totalSeconds, gainDb, profile),
      measured: { narrationLufs: narration.integratedLufs, mixLufs: narration.integratedLufs, gainDb },
    };
  }
  const mix = mixGraph(narration, musicAnalysis, music, target, totalSeconds, profile);
  const mixLufs = await measureMix(inputArgs, inputFiles, mix(0, 0));
  const gainDb = mixLufs > SILENT_NARRATION_LUFS ? target - mixLufs : 0;
  return {
    inputArgs,
    inputFiles,
    graph: (first) => mix(first, gainDb),
    measured: {
      narrationLufs: narration.integratedLufs,
      musicLufs: musicAnalysis.integratedLufs,
      mixLufs,
      gainDb,
    },
  };
}

function assertSoundtrackOptions(target: number, music: MusicBed | undefined): void {
  if (!(Number.isFinite(target) && target >= -40 && target <= -5)) {
    throw new MediaError("INVALID_INPUT", `loudnessLufs must be from -40 to -5 LUFS (got ${target})`);
  }
  if (!music) return;
  const { levelDb = DEFAULT_MUSIC_LEVEL_DB, duckDb = DEFAULT_DUCK_DB } = music;
  const { fadeInSeconds = 1, fadeOutSeconds = 2 } = music;
  if (!(Number.isFinite(levelDb) && levelDb <= 0)) {
    throw new MediaError("INVALID_INPUT", `music levelDb must be ≤ 0 dB (got ${levelDb})`);
  }
  if (!(Number.isFinite(duckDb) && duckDb >= 0)) {
    throw new MediaError("INVALID_INPUT", `music duckDb must be ≥ 0 dB (got ${duckDb})`);
  }
  for (const [name, value] of [
    ["fadeInSeconds", fadeInSeconds],
    ["fadeOutSeconds", fadeOutSeconds],
  ] as const) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new MediaError("INVALID_INPUT", `music ${name} must be ≥ 0 s (got ${value})`);
    }
  }
}

/** The narration padded/cut to totalSeconds, gain, limiter → [soundtrack]. */
function voiceOnlyGraph(first: number, totalSeconds: number, gainDb: number, profile: VideoProfile): string {
  return `[${first}:a:0]${voiceChain(totalSeconds, profile)},${finishChain(gainDb, profile)}[soundtrack]`;
}

function voiceChain(totalSeconds: number, profile: VideoProfile): string {
  return `${audioFormatFilters(profile)},apad,atrim=duration=${totalSeconds}`;
}

/** Gain (dB), the −1 dBFS look-ahead limiter (delay compensated, no auto level), profile format. */
function finishChain(gainDb: number, profile: VideoProfile): string {
  const limit = 10 ** (LIMIT_DBFS / 20);
  return `volume=${gainDb.toFixed(2)}dB,alimiter=limit=${limit.toFixed(4)}:level=0:latency=1,${audioFormatFilters(profile)}`;
}

/**
 * The mix graph for inputs at `first` (narration) and `first + 1` (looped music), with the final
 * gain: the music set to levelDb under the narration, faded, ducked by the envelope of the speech
 * spans, summed with the narration.
 */
function mixGraph(
  narration: AudioAnalysis,
  music: AudioAnalysis,
  bed: MusicBed,
  target: number,
  totalSeconds: number,
  profile: VideoProfile,
): (first: number, gainDb: number) => string {
  const { levelDb = DEFAULT_MUSIC_LEVEL_DB, duckDb = DEFAULT_DUCK_DB } = bed;
  const { fadeInSeconds = 1, fadeOutSeconds = 2 } = bed;
  const reference = narration.integratedLufs > SILENT_NARRATION_LUFS ? narration.integratedLufs : target;
  const musicGainDb =
    music.integratedLufs > SILENT_NARRATION_LUFS ? reference + levelDb - music.integratedLufs : 0;
  const fadeIn = Math.min(fadeInSeconds, totalSeconds / 2);
  const fadeOut = Math.min(fadeOutSeconds, totalSeconds / 2);
  const envelope = duckEnvelope(narration.speech, duckDb, totalSeconds);
  const musicChain = [
    audioFormatFilters(profile),
    `atrim=duration=${totalSeconds}`,
    `volume=${musicGainDb.toFixed(2)}dB`,
    ...(fadeIn > 0 ? [`afade=t=in:d=${fadeIn}`] : []),
    ...(fadeOut > 0 ? [`afade=t=out:st=${totalSeconds - fadeOut}:d=${fadeOut}`] : []),
    ...(envelope ? [`volume=volume='${envelope}':eval=frame`] : []),
  ].join(",");
  return (first, gainDb) =>
    [
      `[${first}:a:0]${voiceChain(totalSeconds, profile)}[voice]`,
      `[${first + 1}:a:0]${musicChain}[bed]`,
      `[voice][bed]amix=inputs=2:duration=first:normalize=0,${finishChain(gainDb, profile)}[soundtrack]`,
    ].join(";");
}

/**
 * A volume expression of t (seconds): 1 in the gaps, 10^(−duckDb/20) during speech, with linear
 * ramps of DUCK_ATTACK_SECONDS before each span and DUCK_RELEASE_SECONDS after it. Spans closer
 * than attack + release are merged so that the ramps never overlap and their sum is the envelope.
 * Commas are escaped for the filter graph. Undefined when nothing is ducked.
 * Exported for tests.
 */
export function duckEnvelope(
  speech: readonly Span[],
  duckDb: number,
  totalSeconds: number,
): string | undefined {
  if (duckDb === 0 || speech.length === 0) return undefined;
  const merged: Span[] = [];
  for (const span of speech) {
    const last = merged.at(-1);
    if (last && span.startSeconds - last.endSeconds < DUCK_ATTACK_SECONDS + DUCK_RELEASE_SECONDS) {
      last.endSeconds = Math.max(last.endSeconds, span.endSeconds);
    } else {
      merged.push({ ...span });
    }
  }
  const depth = 1 - 10 ** (-duckDb / 20);
  const ramps = merged
    .filter((span) => span.startSeconds < totalSeconds)
    .map(({ startSeconds, endSeconds }) => {
      const rise = `clip((t-${(startSeconds - DUCK_ATTACK_SECONDS).toFixed(3)})/${DUCK_ATTACK_SECONDS},0,1)`;
      const fall = `clip((${(endSeconds + DUCK_RELEASE_SECONDS).toFixed(3)}-t)/${DUCK_RELEASE_SECONDS},0,1)`;
      return `${rise}*${fall}`;
    });
  return `1-${depth.toFixed(5)}*min(1,${ramps.join("+")})`.replaceAll(",", "\\,");
}

/** Runs the mix graph (gain 0) into ebur128 and returns the integrated loudness, LUFS. */
async function measureMix(inputArgs: string[], inputFiles: string[], graph: string): Promise<number> {
  // biome-ignore format: one option/value pair per line
  const args = [
    ...inputArgs,
    "-filter_complex", `${graph};[soundtrack]ebur128=framelog=verbose[measured]`,
    "-map", "[measured]",
    "-f", "null", "-",
  ];
  const { stderr } = await runFfmpeg(args, { inputs: inputFiles, outputs: [] });
  return parseIntegratedLufs(stderr);
}

/** Length of the default bed's loop, seconds: four chords of 4 s. */
export const MUSIC_BED_SECONDS = 16;

export interface DefaultMusicBedOptions {
  /** Absolute path of the WAV to write (16-bit PCM, stereo). */
  outPath: string;
  /** Sample rate in Hz (default 48 000, the profile's). */
  sampleRate?: number;
}

/**
 * Writes Kadr's default music bed: a soft, slowly moving pad (A minor – F – C – G, 4 s each,
 * raised-cosine crossfades of 1 s between chords; every note a few sine partials, each doubled and
 * detuned by ±0.125 Hz differently on the left and right for width; a one-pole low-pass at 1.2 kHz).
 * All frequencies are multiples of 1/16 Hz and the chord envelope repeats every 16 s, so the file
 * loops seamlessly. Peak level −6 dBFS, about −16 LUFS integrated. Deterministic.
 * @returns the path and its length in seconds (MUSIC_BED_SECONDS).
 * @throws MediaError INVALID_INPUT for a sample rate outside 8–192 kHz.
 */
export async function defaultMusicBed(
  options: DefaultMusicBedOptions,
): Promise<{ path: string; durationSeconds: number }> {
  const sampleRate = options.sampleRate ?? 48_000;
  if (!(Number.isInteger(sampleRate) && sampleRate >= 8_000 && sampleRate <= 192_000)) {
    throw new MediaError(
      "INVALID_INPUT",
      `sampleRate must be an integer from 8000 to 192000 Hz (got ${sampleRate})`,
    );
  }
  const [left, right] = synthesizePad(sampleRate);
  await writeFile(options.outPath, wavFile([left!, right!], sampleRate));
  return { path: options.outPath, durationSeconds: MUSIC_BED_SECONDS };
}

/** Chord tones in Hz, rounded to multiples of 1/16 Hz (A2…F4). */
const CHORDS: readonly (readonly number[])[] = [
  [110, 220, 261.625, 329.625], // A minor
  [87.3125, 220, 261.625, 349.25], // F major
  [130.8125, 164.8125, 196, 261.625], // C major
  [98, 196, 246.9375, 293.6875], // G major
];
const CHORD_SECONDS = MUSIC_BED_SECONDS / CHORDS.length;
const CHORD_CROSSFADE_SECONDS = 1;
/** Relative amplitudes of the partials 1, 2, 3 of every note. */
const PARTIALS = [1, 0.25, 0.08];
const DETUNE_HZ = 0.125;
const LOWPASS_HZ = 1200;
const PEAK = 10 ** (-6 / 20);

/**
 * Two channels of MUSIC_BED_SECONDS, peak-normalized to PEAK. Every frequency is k/16 Hz for an
 * integer k, so sin(2π·f·n/rate) is exactly entry (k·n) mod N of one table of N = 16·rate samples
 * of the 1/16 Hz sine: one lookup per partial and sample (~0.3 s for 48 kHz stereo).
 */
function synthesizePad(sampleRate: number): Float64Array[] {
  const length = MUSIC_BED_SECONDS * sampleRate;
  const sine = new Float64Array(length);
  for (let n = 0; n < length; n++) sine[n] = Math.sin((2 * Math.PI * n) / length);
  const channels = [new Float64Array(length), new Float64Array(length)];
  for (const [chordIndex, chord] of CHORDS.entries()) {
    const weight = chordWeights(chordIndex, sampleRate);
    for (const [channelIndex, channel] of channels.entries()) {
      // Left detunes down then up, right up then twice as far down: the beating differs per side.
      const detunes = channelIndex === 0 ? [-DETUNE_HZ, DETUNE_HZ] : [DETUNE_HZ, -2 * DETUNE_HZ];
      const voices: { cycles: number; gain: number }[] = [];
      for (const [noteIndex, frequency] of chord.entries()) {
        // The root (first note) a little louder than the upper notes.
        const noteGain = noteIndex === 0 ? 1 : 0.7;
        for (const [partialIndex, partialGain] of PARTIALS.entries()) {
          for (const detune of detunes) {
            const cycles = Math.round((frequency + detune) * (partialIndex + 1) * MUSIC_BED_SECONDS);
            voices.push({ cycles, gain: noteGain * partialGain });
          }
        }
      }
      // Only where this chord sounds: from its rise to the end of its fall, around the loop.
      const first = Math.round((chordIndex * CHORD_SECONDS - CHORD_CROSSFADE_SECONDS / 2) * sampleRate);
      const span = (CHORD_SECONDS + CHORD_CROSSFADE_SECONDS) * sampleRate;
      const firstSample = ((first % length) + length) % length;
      for (const { cycles, gain } of voices) {
        // The table index (cycles · n) mod length, advanced by addition to stay a small integer.
        const step = ((cycles % length) + length) % length;
        let phase = (step * firstSample) % length;
        let n = firstSample;
        for (let k = 0; k < span; k++) {
          channel[n]! += weight[n]! * gain * sine[phase]!;
          phase += step;
          if (phase >= length) phase -= length;
          if (++n === length) n = 0;
        }
      }
    }
  }
  for (const channel of channels) lowpass(channel, sampleRate);
  let peak = 0;
  for (const channel of channels) for (const value of channel) peak = Math.max(peak, Math.abs(value));
  for (const channel of channels) for (let n = 0; n < length; n++) channel[n]! *= PEAK / peak;
  return channels;
}

/**
 * The weight of chord `index` at each sample of the loop: 1 while it holds, a raised-cosine rise
 * over the CHORD_CROSSFADE_SECONDS around its start and a fall around its end (complementary to
 * the next chord's rise, so the weights of all chords sum to 1), circular over the loop.
 */
function chordWeights(index: number, sampleRate: number): Float64Array {
  const loop = MUSIC_BED_SECONDS;
  const fade = CHORD_CROSSFADE_SECONDS;
  const riseStart = index * CHORD_SECONDS - fade / 2;
  const weights = new Float64Array(loop * sampleRate);
  for (let n = 0; n < weights.length; n++) {
    // Seconds since the start of this chord's rise, on the circle of the loop.
    const since = (((n / sampleRate - riseStart) % loop) + loop) % loop;
    if (since < fade) weights[n] = 0.5 * (1 - Math.cos((Math.PI * since) / fade));
    else if (since < CHORD_SECONDS) weights[n] = 1;
    else if (since < CHORD_SECONDS + fade)
      weights[n] = 0.5 * (1 + Math.cos((Math.PI * (since - CHORD_SECONDS)) / fade));
  }
  return weights;
}

/** One-pole low-pass in place, its state carried around the loop (run twice, keep the second). */
function lowpass(channel: Float64Array, sampleRate: number): void {
  const alpha = 1 - Math.exp((-2 * Math.PI * LOWPASS_HZ) / sampleRate);
  let state = 0;
  for (let i = 0; i < channel.length; i++) state += alpha * (channel[i]! - state);
  for (let i = 0; i < channel.length; i++) {
    state += alpha * (channel[i]! - state);
    channel[i] = state;
  }
}

/** A 16-bit PCM WAV (RIFF) of the channels, interleaved. */
function wavFile(channels: Float64Array[], sampleRate: number): Buffer {
  const frames = channels[0]!.length;
  const blockAlign = channels.length * 2;
  const data = Buffer.alloc(frames * blockAlign);
  for (let frame = 0; frame < frames; frame++) {
    for (const [index, channel] of channels.entries()) {
      const value = Math.max(-1, Math.min(1, channel[frame]!));
      data.writeInt16LE(Math.round(value * 32_767), frame * blockAlign + index * 2);
    }
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8);
  header.write("fmt ", 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels.length, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
