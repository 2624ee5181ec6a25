/**
 * The canonical media profile of a job: every clip is normalized to it once, when it is produced,
 * so the final assembly can stream-copy segments and re-encode only transition windows.
 */
export type Aspect = "16:9" | "9:16" | "1:1";

export interface VideoProfile {
  /** Frame width in px (even). */
  width: number;
  /** Frame height in px (even). */
  height: number;
  /** Frames per second (integer: 24, 25 or 30). */
  fps: number;
  /** Audio sample rate in Hz of every normalized track (AAC). */
  audioSampleRate: number;
  /** Audio channel count of every normalized track. */
  audioChannels: number;
  /** Distance between keyframes in seconds (closed GOP). */
  gopSeconds: number;
}

/** Frame size in px for each supported aspect ratio. */
export const ASPECT_SIZES: Record<Aspect, { width: number; height: number }> = {
  "16:9": { width: 1280, height: 720 },
  "9:16": { width: 720, height: 1280 },
  "1:1": { width: 1080, height: 1080 },
};

/** Builds the canonical profile for an aspect ratio: H.264 yuv420p, 24 fps, 1 s GOP, AAC 48 kHz stereo. */
export function profileForAspect(aspect: Aspect, fps = 24): VideoProfile {
  const size = ASPECT_SIZES[aspect];
  return { ...size, fps, audioSampleRate: 48_000, audioChannels: 2, gopSeconds: 1 };
}
