/**
 * The narration track of a video: every segment's speech (any WAV, e.g. espeak-ng's 22.05 kHz
 * mono) placed at its segment's start on the final timeline, mixed over silence of exactly the
 * video's length, optionally loudness-normalized, encoded as AAC.
 *
 * Cost (2-core machine, 4 min track, 48 cues): ~3 s, nearly all of it the AAC encoder; mixing is
 * ~0.5 s. loudnorm roughly doubles it, hence opt-in.
 *
 * Section crossfades: where the picture crossfades from one section into the next, so does the
 * speech. narrationCues gives the last cue before each transition an end (the end of its segment,
 * which is the end of the picture's crossfade) with a fade-out over the whole crossfade, and the
 * first cue after it a fade-in from the start of the crossfade. The fade-in is short (0.1 s by
 * default, at most the crossfade): speech starting inside the window would otherwise lose its
 * first syllable; the outgoing speech, if it still runs, is faded out under it and cut where its
 * picture has gone. Both use afade's quarter-sine curve (https://ffmpeg.org/ffmpeg-filters.html#afade),
 * whose gains in and out add up to constant power. With crossfadeSeconds 0 nothing is faded or cut.
 *
 * Filters: adelay (https://ffmpeg.org/ffmpeg-filters.html#adelay), amix
 * (https://ffmpeg.org/ffmpeg-filters.html#amix), loudnorm, EBU R128 single pass
 * (https://ffmpeg.org/ffmpeg-filters.html#loudnorm), anullsrc for the silent bed.
 *
 * Output: AAC in M4A, or 16-bit PCM WAV when outPath ends in ".wav" (instant to write: use it when
 * assembleVideo re-mixes the audio anyway, with music or loudnessLufs, so it is encoded only once).
 */
import { audioEncodeArgs, audioFormatFilters, MP4_ARGS, silenceSource } from "./encoding";
import { assertPositiveSeconds, MediaError } from "./errors";
import { runFfmpeg } from "./ffmpeg";
import type { VideoProfile } from "./profile";
import { hasTransitionBefore, segmentTimeline, type TimelineClip, type TransitionScope } from "./timeline";

export interface NarrationCue {
  /** Absolute path of the speech audio (WAV or anything ffmpeg decodes). */
  audioPath: string;
  /** Where the speech starts on the final timeline, in seconds (≥ 0). */
  startSeconds: number;
  /** Fade-in over the first seconds of the speech (quarter sine); default 0. */
  fadeInSeconds?: number;
  /**
   * Where the speech must have ended on the final timeline, seconds (> startSeconds): it is cut
   * there, after a fade-out of fadeOutSeconds. Unset = it plays to its end (or the track's).
   */
  endSeconds?: number;
  /** Fade-out (quarter sine) over the last seconds before endSeconds; default 0. */
  fadeOutSeconds?: number;
}

export interface NarrationCueOptions {
  /** Where transitions go, as in the assembly (default "sections"). */
  scope?: TransitionScope;
  /** Fade-in of the speech after a transition, seconds (default 0.1, at most the crossfade). */
  fadeInSeconds?: number;
}

/** Default fade-in of the speech after a transition, seconds. */
export const SPEECH_FADE_IN_SECONDS = 0.1;

export interface EncodeNarrationOptions {
  cues: NarrationCue[];
  /** Length of the track in seconds: speech running past it is cut. */
  totalSeconds: number;
  /** Absolute path of the M4A (MP4 audio) to write. */
  outPath: string;
  /** Supplies the sample rate (Hz) and channel count of the track. */
  profile: VideoProfile;
  /** Loudness target in LUFS (EBU R128 integrated, e.g. −16); unset keeps the speech as recorded. */
  loudnessLufs?: number;
}

/**
 * Cues for per-segment speech: `audioPaths[i]` (null = no speech) starts where clip i starts on the
 * final timeline (segmentTimeline with the same transition scope as the assembly), so speech after
 * a transition begins with the crossfade. At each transition the speech crossfades (see the module
 * doc): the cue of the clip before it ends with its segment, fading out over the crossfade; the
 * cue of the clip after it fades in over fadeInSeconds. `options` may also be the scope alone.
 * @throws MediaError INVALID_INPUT when the lists differ in length, fadeInSeconds is negative, or
 *   as segmentTimeline does.
 */
export function narrationCues(
  audioPaths: readonly (string | null)[],
  clips: readonly TimelineClip[],
  crossfadeSeconds: number,
  options: TransitionScope | NarrationCueOptions = {},
): NarrationCue[] {
  const { scope = "sections", fadeInSeconds = SPEECH_FADE_IN_SECONDS } =
    typeof options === "string" ? { scope: options } : options;
  if (audioPaths.length !== clips.length) {
    throw new MediaError("INVALID_INPUT", `${audioPaths.length} narration files for ${clips.length} clips`);
  }
  if (!(Number.isFinite(fadeInSeconds) && fadeInSeconds >= 0)) {
    throw new MediaError("INVALID_INPUT", `fadeInSeconds must be ≥ 0 (got ${fadeInSeconds})`);
  }
  const crossfades = crossfadeSeconds > 0;
  return segmentTimeline(clips, crossfadeSeconds, scope).flatMap((span, index) => {
    const audioPath = audioPaths[index];
    if (!audioPath) return [];
    const cue: NarrationCue = { audioPath, startSeconds: span.startSeconds };
    if (crossfades && hasTransitionBefore(clips, index, scope) && fadeInSeconds > 0) {
      cue.fadeInSeconds = Math.min(fadeInSeconds, crossfadeSeconds);
    }
    if (crossfades && index + 1 < clips.length && hasTransitionBefore(clips, index + 1, scope)) {
      cue.endSeconds = span.endSeconds;
      cue.fadeOutSeconds = crossfadeSeconds;
    }
    return [cue];
  });
}

/**
 * Writes one AAC-LC track (profile sample rate and channels, M4A, +faststart), or a 16-bit PCM WAV
 * when outPath ends in ".wav", of exactly `totalSeconds` (to the AAC frame the container trims to):
 * silence, with each cue's audio mixed in from its start time, faded and cut as the cue says.
 * Overlapping cues are summed, not ducked. An empty cue list gives silence.
 * @throws MediaError INVALID_INPUT for a non-positive total, a negative start or fade, an end not
 *   after its start; FFMPEG_FAILED when a cue cannot be decoded.
 */
export async function encodeNarration(options: EncodeNarrationOptions): Promise<void> {
  const { cues, totalSeconds, outPath, profile } = options;
  assertPositiveSeconds(totalSeconds, "narration length");
  for (const cue of cues) assertValidCue(cue);
  const inputs = cues.map((cue) => cue.audioPath);
  // biome-ignore format: one option/value pair per line
  const args = [
    ...inputs.flatMap((input) => ["-i", input]),
    "-filter_complex", mixGraph(cues, totalSeconds, profile, options.loudnessLufs),
    "-map", "[narration]",
    ...(outPath.toLowerCase().endsWith(".wav") ? WAV_ARGS(profile) : [...audioEncodeArgs(profile), ...MP4_ARGS]),
    "-t", String(totalSeconds),
    outPath,
  ];
  await runFfmpeg(args, { inputs, outputs: [outPath] });
}

/** 16-bit PCM WAV at the profile's rate and channels. */
const WAV_ARGS = (profile: VideoProfile) => [
  ...["-c:a", "pcm_s16le", "-ar", String(profile.audioSampleRate), "-ac", String(profile.audioChannels)],
  ...["-f", "wav"],
];

/** @throws MediaError INVALID_INPUT for a negative start, a negative fade, an end not after the start. */
function assertValidCue(cue: NarrationCue): void {
  const { startSeconds, endSeconds, fadeInSeconds = 0, fadeOutSeconds = 0 } = cue;
  const bad = (what: string) => new MediaError("INVALID_INPUT", `narration cue ${cue.audioPath}: ${what}`);
  if (!(Number.isFinite(startSeconds) && startSeconds >= 0)) throw bad(`starts at ${startSeconds} s`);
  if (!(Number.isFinite(fadeInSeconds) && fadeInSeconds >= 0)) throw bad(`fade-in of ${fadeInSeconds} s`);
  if (!(Number.isFinite(fadeOutSeconds) && fadeOutSeconds >= 0)) throw bad(`fade-out of ${fadeOutSeconds} s`);
  if (endSeconds !== undefined && !(Number.isFinite(endSeconds) && endSeconds > startSeconds)) {
    throw bad(`ends at ${endSeconds} s, not after its start at ${startSeconds} s`);
  }
}

/** The cue's fades and cut, as filters before its delay (times relative to the cue's own start). */
function cueShaping(cue: NarrationCue): string[] {
  const filters: string[] = [];
  if (cue.fadeInSeconds) filters.push(`afade=t=in:d=${cue.fadeInSeconds}:curve=qsin`);
  if (cue.endSeconds !== undefined) {
    const length = cue.endSeconds - cue.startSeconds;
    const fadeOut = Math.min(cue.fadeOutSeconds ?? 0, length);
    filters.push(`atrim=duration=${length}`);
    if (fadeOut > 0) filters.push(`afade=t=out:st=${length - fadeOut}:d=${fadeOut}:curve=qsin`);
  }
  return filters;
}

/**
 * Input i is delayed to its cue's start (adelay, ms, all channels); a silent bed of totalSeconds is
 * the first amix input and sets the length (duration=first); normalize=0 keeps levels as they are.
 * loudnorm works at 192 kHz, so the result is resampled back to the profile rate.
 */
function mixGraph(
  cues: NarrationCue[],
  totalSeconds: number,
  profile: VideoProfile,
  loudnessLufs: number | undefined,
): string {
  const delayed = cues.map(
    (cue, index) =>
      `[${index}:a]${[audioFormatFilters(profile), ...cueShaping(cue), `adelay=delays=${Math.round(cue.startSeconds * 1000)}:all=1`].join(",")}[cue${index}]`,
  );
  const mixInputs = ["[bed]", ...cues.map((_, index) => `[cue${index}]`)].join("");
  const finish =
    loudnessLufs === undefined
      ? "anull"
      : `loudnorm=I=${loudnessLufs}:TP=-1.5:LRA=11,${audioFormatFilters(profile)}`;
  return [
    `${silenceSource(profile, totalSeconds)}[bed]`,
    ...delayed,
    `${mixInputs}amix=inputs=${cues.length + 1}:duration=first:normalize=0,${finish}[narration]`,
  ].join(";");
}
