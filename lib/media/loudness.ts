/**
 * Loudness measurement (EBU R128 / ITU-R BS.1770) and speech detection for the soundtrack mix.
 *
 * - Integrated loudness: the ebur128 filter (https://ffmpeg.org/ffmpeg-filters.html#ebur128-1),
 *   which implements EBU R128 (https://tech.ebu.ch/publications/r128): K-weighting, 400 ms blocks,
 *   absolute gate at −70 LUFS and relative gate 10 LU under the ungated level. Its summary is
 *   printed to ffmpeg's log when the filter closes; we read "I: … LUFS" from it.
 * - Speech: silencedetect (https://ffmpeg.org/ffmpeg-filters.html#silencedetect) on the same pass;
 *   the complement of the silences longer than a minimum gap are the spans where somebody speaks.
 *
 * ebur128 is used for measuring rather than loudnorm's first pass because loudnorm always
 * resamples to 192 kHz: on a 2-core machine it needs ~3.8 s for 4 min of stereo, ebur128 ~0.5 s.
 */
import { MediaError } from "./errors";
import { runFfmpeg } from "./ffmpeg";

/** A stretch of the timeline in seconds: [startSeconds, endSeconds). */
export interface Span {
  startSeconds: number;
  endSeconds: number;
}

export interface AudioAnalysis {
  /**
   * Integrated loudness in LUFS (EBU R128). Digital silence, or anything under the absolute gate,
   * measures −70 (ebur128's floor); a file without audio throws instead.
   */
  integratedLufs: number;
  /** Spans with sound above the silence threshold, in order; empty unless speech was asked for. */
  speech: Span[];
}

export interface AnalyzeAudioOptions {
  /** Also find the spans with sound (silencedetect). Default false. */
  detectSpeech?: boolean;
  /** Level under which audio counts as silence, in dBFS (default −50). */
  silenceThresholdDb?: number;
  /** Shorter silences (pauses between words and sentences) stay inside a speech span (default 0.8 s). */
  minGapSeconds?: number;
  /** Only analyze the first `seconds` of the file (default: all of it). */
  seconds?: number;
}

/** ebur128's reading of silence (below the −70 LUFS absolute gate). */
export const SILENCE_LUFS = -70;

/**
 * Measures the integrated loudness of the first audio stream of `file`, and optionally where its
 * sound is. One decode of the file (native: ~0.5 s for 4 min of 48 kHz stereo AAC).
 * @throws MediaError FFMPEG_FAILED when the file has no decodable audio, or ebur128 printed no summary.
 */
export async function analyzeAudio(file: string, options: AnalyzeAudioOptions = {}): Promise<AudioAnalysis> {
  const { detectSpeech = false, silenceThresholdDb = -50, minGapSeconds = 0.8, seconds } = options;
  const filters = [
    "ebur128=framelog=verbose",
    ...(detectSpeech ? [`silencedetect=noise=${silenceThresholdDb}dB:duration=${minGapSeconds}`] : []),
  ];
  // biome-ignore format: one option/value pair per line
  const args = [
    "-i", file,
    ...(seconds === undefined ? [] : ["-t", String(seconds)]),
    "-map", "0:a:0",
    "-af", filters.join(","),
    "-f", "null", "-",
  ];
  const { stderr } = await runFfmpeg(args, { inputs: [file], outputs: [] });
  const integratedLufs = parseIntegratedLufs(stderr);
  if (!detectSpeech) return { integratedLufs, speech: [] };
  return { integratedLufs, speech: speechSpans(stderr, lastTimestamp(stderr)) };
}

/**
 * The integrated loudness ("I: -23.0 LUFS") of the last ebur128 summary in an ffmpeg log.
 * @throws MediaError FFMPEG_FAILED when the log has no summary.
 */
export function parseIntegratedLufs(log: string): number {
  const matches = [...log.matchAll(/^\s*I:\s+(-?(?:[\d.]+|inf))\s+LUFS/gm)];
  const value = matches.at(-1)?.[1];
  if (value === undefined) {
    throw new MediaError("FFMPEG_FAILED", "ebur128 printed no integrated loudness", log);
  }
  return value.endsWith("inf") ? SILENCE_LUFS : Math.max(SILENCE_LUFS, Number(value));
}

/**
 * The spans between silencedetect's silences. A silence without an end runs to `endSeconds`.
 * Exported for tests.
 */
export function speechSpans(log: string, endSeconds: number): Span[] {
  const events = [...log.matchAll(/silence_(start|end): (-?[\d.]+)/g)].map((match) => ({
    kind: match[1] as "start" | "end",
    seconds: Math.max(0, Number(match[2])),
  }));
  const spans: Span[] = [];
  let speechFrom: number | null = 0;
  for (const event of events) {
    if (event.kind === "start" && speechFrom !== null) {
      if (event.seconds > speechFrom) spans.push({ startSeconds: speechFrom, endSeconds: event.seconds });
      speechFrom = null;
    } else if (event.kind === "end") {
      speechFrom = event.seconds;
    }
  }
  if (speechFrom !== null && endSeconds > speechFrom) {
    spans.push({ startSeconds: speechFrom, endSeconds });
  }
  return spans;
}

/** How long the input was, in seconds: the longest of its "Duration:" and the last silence_end. */
function lastTimestamp(log: string): number {
  const durations = [...log.matchAll(/Duration: (\d+):(\d+):([\d.]+)/g)].map(
    (match) => Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]),
  );
  const silenceEnds = [...log.matchAll(/silence_end: ([\d.]+)/g)].map((match) => Number(match[1]));
  return Math.max(0, ...durations, ...silenceEnds);
}
