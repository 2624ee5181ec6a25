/**
 * The clip provider: turns a segment's still image into a short video clip in the job's profile.
 */
import type { VideoProfile } from "@/lib/media/profile";
import type { ProviderError } from "../errors";

/** Input of `VideoProvider.animateImage`. */
export interface AnimateImageInput {
  /** Absolute path of the source image (PNG/JPEG) on the local filesystem. */
  imagePath: string;
  /** Absolute path of the MP4 to write (overwritten if present). */
  outPath: string;
  /** Clip duration in seconds, > 0. */
  seconds: number;
  /** Canonical media profile of the job (size in px, fps, GOP); the clip is encoded to it. */
  profile: VideoProfile;
  /** Camera motion, e.g. "slow zoom in", "pan left" (see `MOTION_PROMPTS` in llm/local). */
  motionPrompt: string;
  /** Variation seed (a number or any string, e.g. a content hash); same input + seed → same clip. */
  seed: number | string;
}

/**
 * Animates stills into clips. Implementations write `outPath` (H.264 MP4 in `profile`, `seconds`
 * long) and reject with an `Error` when rendering or the remote job fails.
 */
export interface VideoProvider {
  /** Provider id as selected by `KADR_VIDEO`, e.g. "local". */
  readonly name: string;
  /** Resolved model id of real providers (see models.ts), e.g. "gen4_turbo"; absent for local. */
  readonly model?: string;
  animateImage(input: AnimateImageInput): Promise<void>;
}

/** What `ClipJobProvider.submit` needs: the clip request without its output path. */
export type ClipRequest = Omit<AnimateImageInput, "outPath">;

/** Where the finished clip comes from: a URL to download or the bytes themselves. */
export type ClipSource = { url: string } | { bytes: Buffer };

/** State of a remote clip job as seen by one `check`. */
export type ClipJobState =
  /** Queued or rendering; `progress` from 0 to 1 when the provider reports it. */
  | { state: "pending"; progress?: number }
  /** Finished; pass it to `saveClip` in the same step (it may hold bytes and is not JSON). */
  | { state: "done"; source: ClipSource }
  /** Finished without a clip (safety filter, invalid input, provider failure). */
  | { state: "failed"; error: ProviderError };

/** Where and how `saveClip` writes the clip. */
export interface SaveClipTarget {
  /** Absolute path of the MP4 to write. */
  outPath: string;
  /** Exact length in seconds of the normalized clip. */
  seconds: number;
  profile: VideoProfile;
}

/**
 * A video provider whose clips are long-running remote jobs, split for durable polling: `submit`
 * in one step (store the returned id), then `check` in later steps (sleeping in between), and
 * `saveClip` once done. `animateImage` runs the three in one blocking call.
 */
export interface ClipJobProvider extends VideoProvider {
  /**
   * The provider's own pacing hint for durable polling: seconds to wait between two `check`s
   * (Runway asks for no more than one poll per 5 s, Veo operations take about a minute: 10 s).
   * Undefined when the provider gives none (the pipeline then waits `DEFAULT_CLIP_POLL_SECONDS`).
   */
  readonly pollIntervalSeconds?: number;
  /**
   * Starts rendering a clip. @returns the provider's job id (≤ 512 characters) for `check`.
   * @throws ProviderError when the provider refuses the request.
   */
  submit(request: ClipRequest): Promise<string>;
  /** Looks at a submitted job once. @throws ProviderError when the provider cannot be asked (auth, 5xx). */
  check(providerJobId: string): Promise<ClipJobState>;
  /**
   * Downloads (or writes) the clip and normalizes it to `target` with `normalizeClip`.
   * @throws ProviderError when the download fails; MediaError when the clip cannot be decoded.
   */
  saveClip(source: ClipSource, target: SaveClipTarget): Promise<void>;
}
