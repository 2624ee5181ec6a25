/**
 * Extend: a finished video plus one new segment clip, crossfaded (video and audio) into a new file;
 * the original is only read. Duration = old + new − crossfade (both rounded to whole frames).
 *
 * The video goes through assembleVideo as a two-clip timeline, so it is smart-rendered: the old
 * video is stream-copied up to the fade, only the window up to the clip's first keyframe after it
 * is re-encoded (xfade), and the rest of the clip is copied. The audio is one acrossfade
 * (https://ffmpeg.org/ffmpeg-filters.html#acrossfade) of the old track and the clip's, re-encoded
 * as AAC (seconds for minutes of audio); the new segment's speech, if given, is mixed in from the
 * segment's start (adelay + amix, https://ffmpeg.org/ffmpeg-filters.html#amix). The old video's
 * captions (mov_text) are kept, cut where the new segment starts, and the new segment's text, if
 * given, is added from there. Known cost: the old audio is decoded and re-encoded once more (AAC).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AssembleResult, assembleVideo, assertValidTransitions, type XfadeTransition } from "./assemble";
import { type CaptionCue, captionCues, parseWebVtt } from "./captions";
import { audioEncodeArgs, audioFormatFilters, frameAlignedSeconds, MP4_ARGS } from "./encoding";
import { MediaError } from "./errors";
import { runFfmpeg } from "./ffmpeg";
import { readMp4VideoTrack } from "./mp4";
import { type MediaInfo, probeMedia } from "./probe";
import type { VideoProfile } from "./profile";

export interface ExtendOptions {
  /** Absolute path of the finished video (a Kadr MP4 in `profile`, with audio). */
  videoPath: string;
  /** Absolute path of the new segment's clip, normalized to `profile` (video and audio). */
  clipPath: string;
  /** Absolute path of the MP4 to write (not videoPath). */
  outPath: string;
  profile: VideoProfile;
  /** Crossfade between the end of the video and the clip in seconds, 0.3 to 2 (default 0.5). */
  crossfadeSeconds?: number;
  /** The xfade effect of the video transition (default "fade"); the audio always crossfades. */
  transitionType?: XfadeTransition;
  /**
   * Absolute path of the new segment's speech (any audio ffmpeg decodes), mixed over the clip's own
   * audio from the segment's start (the start of the crossfade), as narrationCues places speech.
   */
  narrationPath?: string;
  /** Caption text of the new segment, shown from the start of the crossfade to the end. */
  captionText?: string;
  /** ISO 639-2 code of the captions (default: the old caption track's, else "und"). */
  captionLanguage?: string;
}

const DEFAULT_CROSSFADE_SECONDS = 0.5;

/**
 * Writes videoPath + clipPath crossfaded over crossfadeSeconds to outPath: H.264 as the inputs
 * (smart render), AAC with both tracks crossfaded, captions as described above, MP4 +faststart.
 * @returns the assembly result: duration of the new file in seconds, "smart" or "full" and why.
 * @throws MediaError INVALID_INPUT when outPath is videoPath, an input is not an MP4 with video and
 *   audio, the crossfade is outside 0.3–2 s or longer than a part, or the transition type is unknown
 *   (assertValidTransitions); PROBE_FAILED, FFMPEG_FAILED.
 */
export async function extendVideo(options: ExtendOptions): Promise<AssembleResult> {
  const { videoPath, clipPath, outPath, profile, crossfadeSeconds = DEFAULT_CROSSFADE_SECONDS } = options;
  if (path.resolve(outPath) === path.resolve(videoPath)) {
    throw new MediaError("INVALID_INPUT", "extendVideo never overwrites the video it extends");
  }
  if (crossfadeSeconds === 0)
    throw new MediaError("INVALID_INPUT", "extendVideo needs a crossfade of 0.3 to 2 s (got 0)");
  assertValidTransitions({ crossfadeSeconds, transitionType: options.transitionType });
  const [video] = await Promise.all([probeWithAudio(videoPath), probeWithAudio(clipPath)]);
  const [videoSeconds, clipSeconds] = await Promise.all([
    frameExactSeconds(videoPath, profile),
    frameExactSeconds(clipPath, profile),
  ]);
  const fadeSeconds = frameAlignedSeconds(crossfadeSeconds, profile);
  const workDir = await mkdtemp(path.join(tmpdir(), "kadr-extend-"));
  try {
    const audioPath = path.join(workDir, "audio.m4a");
    await crossfadeAudio({
      videoPath,
      clipPath,
      narrationPath: options.narrationPath,
      videoSeconds,
      clipSeconds,
      fadeSeconds,
      profile,
      audioPath,
    });
    const oldCaptions = await captionTrack(videoPath, video, workDir);
    const newSegmentStart = videoSeconds - fadeSeconds;
    const newCues = options.captionText
      ? captionCues([options.captionText], [{ seconds: clipSeconds, section: "main" }], 0).map((cue) => ({
          ...cue,
          startSeconds: cue.startSeconds + newSegmentStart,
          endSeconds: cue.endSeconds + newSegmentStart,
        }))
      : [];
    const captions = [...cutCues(oldCaptions.cues, newSegmentStart), ...newCues];
    return await assembleVideo({
      clips: [
        { path: videoPath, seconds: videoSeconds, section: "intro" },
        { path: clipPath, seconds: clipSeconds, section: "main" },
      ],
      narrationPath: audioPath,
      crossfadeSeconds,
      transitionType: options.transitionType,
      profile,
      outPath,
      captions,
      captionLanguage: options.captionLanguage ?? oldCaptions.language,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function probeWithAudio(file: string): Promise<MediaInfo> {
  const info = await probeMedia(file);
  if (!info.streams.some((stream) => stream.type === "audio")) {
    throw new MediaError("INVALID_INPUT", `${file} has no audio track to crossfade`);
  }
  return info;
}

/** The video track's length in seconds: its frame count (MP4 sample count) over profile.fps. */
async function frameExactSeconds(file: string, profile: VideoProfile): Promise<number> {
  const track = await readMp4VideoTrack(file);
  if (!track) throw new MediaError("INVALID_INPUT", `${file} is not an MP4 with a video track`);
  return track.sampleCount / profile.fps;
}

interface AudioCrossfade {
  videoPath: string;
  clipPath: string;
  narrationPath: string | undefined;
  /** Frame-exact lengths of the two parts and the fade, in seconds. */
  videoSeconds: number;
  clipSeconds: number;
  fadeSeconds: number;
  profile: VideoProfile;
  audioPath: string;
}

/**
 * Each track is padded with silence or trimmed to its video's exact length (AAC tracks run a few
 * ms long or short), then the two are crossfaded with triangular (linear) curves; the speech, if
 * any, is delayed to the segment's start and summed in (amix duration=first keeps the length).
 */
async function crossfadeAudio(job: AudioCrossfade): Promise<void> {
  const exactLength = (seconds: number) =>
    `${audioFormatFilters(job.profile)},apad=whole_dur=${seconds},atrim=end=${seconds}`;
  const segmentStartMs = Math.round((job.videoSeconds - job.fadeSeconds) * 1000);
  const graph = [
    `[0:a:0]${exactLength(job.videoSeconds)}[old]`,
    `[1:a:0]${exactLength(job.clipSeconds)}[new]`,
    `[old][new]acrossfade=d=${job.fadeSeconds}:c1=tri:c2=tri${job.narrationPath ? "[joined]" : "[audio]"}`,
    ...(job.narrationPath
      ? [
          `[2:a:0]${audioFormatFilters(job.profile)},adelay=delays=${segmentStartMs}:all=1[speech]`,
          "[joined][speech]amix=inputs=2:duration=first:normalize=0[audio]",
        ]
      : []),
  ].join(";");
  const inputs = [job.videoPath, job.clipPath, ...(job.narrationPath ? [job.narrationPath] : [])];
  // biome-ignore format: one option/value pair per line
  const args = [
    ...inputs.flatMap((input) => ["-i", input]),
    "-filter_complex", graph,
    "-map", "[audio]",
    ...audioEncodeArgs(job.profile),
    ...MP4_ARGS,
    job.audioPath,
  ];
  await runFfmpeg(args, { inputs, outputs: [job.audioPath] });
}

/**
 * The cues and language of the video's first subtitle track (no cues when it has none), extracted
 * with ffmpeg as WebVTT into workDir (old-captions.vtt).
 * @param info the file's probe (probeMedia).
 */
export async function captionTrack(
  file: string,
  info: MediaInfo,
  workDir: string,
): Promise<{ cues: CaptionCue[]; language?: string }> {
  const track = info.streams.find((stream) => stream.type === "subtitle");
  if (!track) return { cues: [] };
  const vttPath = path.join(workDir, "old-captions.vtt");
  await runFfmpeg(["-i", file, "-map", "0:s:0", "-f", "webvtt", vttPath], {
    inputs: [file],
    outputs: [vttPath],
  });
  return { cues: parseWebVtt(await readFile(vttPath, "utf8")), language: track.language };
}

/** Cues shortened to end by `endSeconds`; those starting at or after it are dropped. */
function cutCues(cues: CaptionCue[], endSeconds: number): CaptionCue[] {
  return cues
    .filter((cue) => cue.startSeconds < endSeconds && cue.text.trim() !== "")
    .map((cue) => ({ ...cue, endSeconds: Math.min(cue.endSeconds, endSeconds) }));
}
