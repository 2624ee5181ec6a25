/**
 * The narration track of a video: every segment's speech (any WAV, e.g. espeak-ng's 22.05 kHz
 * mono) placed at its segment's start on the final timeline, mixed over silence of exactly the
 * video's length, optionally loudness-normalized, encoded as AAC.
 *
 * Cost (2-core machine, 4 min track, 48 cues): ~3 s, nearly all of it the AAC encoder; mixing is
 * ~0.5 s. loudnorm roughly doubles it, hence opt-in.
 *
 * Filters: adelay (https://ffmpeg.org/ffmpeg-filters.html#adelay), amix
 * (https://ffmpeg.org/ffmpeg-filters.html#amix), loudnorm, EBU R128 single pass
 * (https://ffmpeg.org/ffmpeg-filters.html#loudnorm), anullsrc for the silent bed.
 */
import { audioEncodeArgs, audioFormatFilters, MP4_ARGS, silenceSource } from "./encoding";
import { assertPositiveSeconds, MediaError } from "./errors";
import { runFfmpeg } from "./ffmpeg";
import type { VideoProfile } from "./profile";
import { segmentTimeline, type TimelineClip, type TransitionScope } from "./timeline";

export interface NarrationCue {
  /** Absolute path of the speech audio (WAV or anything ffmpeg decodes). */
  audioPath: string;
  /** Where the speech starts on the final timeline, in seconds (≥ 0). */
  startSeconds: number;
}

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
 * a transition begins with the crossfade.
 * @throws MediaError INVALID_INPUT when the lists differ in length, or as segmentTimeline does.
 */
export function narrationCues(
  audioPaths: readonly (string | null)[],
  clips: readonly TimelineClip[],
  crossfadeSeconds: number,
  scope: TransitionScope = "sections",
): NarrationCue[] {
  if (audioPaths.length !== clips.length) {
    throw new MediaError("INVALID_INPUT", `${audioPaths.length} narration files for ${clips.length} clips`);
  }
  return segmentTimeline(clips, crossfadeSeconds, scope).flatMap((span, index) => {
    const audioPath = audioPaths[index];
    return audioPath ? [{ audioPath, startSeconds: span.startSeconds }] : [];
  });
}

/**
 * Writes one AAC-LC track (profile sample rate and channels, M4A, +faststart) of exactly
 * `totalSeconds` (to the AAC frame the container trims to): silence, with each cue's audio mixed in
 * from its start time. Overlapping cues are summed, not ducked. An empty cue list gives silence.
 * @throws MediaError INVALID_INPUT for a non-positive total or a negative start; FFMPEG_FAILED
 *   when a cue cannot be decoded.
 */
export async function encodeNarration(options: EncodeNarrationOptions): Promise<void> {
  const { cues, totalSeconds, outPath, profile } = options;
  assertPositiveSeconds(totalSeconds, "narration length");
  for (const cue of cues) {
    if (!(Number.isFinite(cue.startSeconds) && cue.startSeconds >= 0)) {
      throw new MediaError("INVALID_INPUT", `narration cue ${cue.audioPath} starts at ${cue.startSeconds} s`);
    }
  }
  const inputs = cues.map((cue) => cue.audioPath);
  // biome-ignore format: one option/value pair per line
  const args = [
    ...inputs.flatMap((input) => ["-i", input]),
    "-filter_complex", mixGraph(cues, totalSeconds, profile, options.loudnessLufs),
    "-map", "[narration]",
    ...audioEncodeArgs(profile),
    "-t", String(totalSeconds),
    ...MP4_ARGS,
    outPath,
  ];
  await runFfmpeg(args, { inputs, outputs: [outPath] });
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
      `[${index}:a]${audioFormatFilters(profile)},adelay=delays=${Math.round(cue.startSeconds * 1000)}:all=1[cue${index}]`,
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
