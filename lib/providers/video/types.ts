/**
 * The clip provider: turns a segment's still image into a short video clip in the job's profile.
 */
import type { VideoProfile } from "@/lib/media/profile";

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
  animateImage(input: AnimateImageInput): Promise<void>;
}
