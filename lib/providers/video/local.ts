/**
 * Local, offline clip provider: a Ken Burns pan/zoom over the still, rendered by
 * `renderKenBurnsClip` (lib/media/kenburns, ffmpeg).
 */
import type { AnimateImageInput, VideoProvider } from "./types";

/**
 * Animates `imagePath` into `outPath` by delegating to `renderKenBurnsClip` (H.264 MP4 in
 * `profile`, `seconds` long, silent AAC track) with `motion: { prompt: motionPrompt, seed:
 * String(seed) }` — the prompt names the move ("slow zoom in", "pan left"); the seed picks one when
 * the prompt names none. The media module is loaded on first use, so importing the provider (and
 * `getProviders`) does not load ffmpeg.
 *
 * @throws RangeError when `seconds` is not a finite number > 0; MediaError from
 *   `renderKenBurnsClip` (INVALID_INPUT, FFMPEG_FAILED for an unreadable image).
 */
export async function animateLocal(input: AnimateImageInput): Promise<void> {
  if (!Number.isFinite(input.seconds) || input.seconds <= 0) {
    throw new RangeError(`seconds must be a finite number > 0, got ${input.seconds}`);
  }
  const { renderKenBurnsClip } = await import("@/lib/media/kenburns");
  await renderKenBurnsClip({
    imagePath: input.imagePath,
    outPath: input.outPath,
    seconds: input.seconds,
    profile: input.profile,
    motion: { prompt: input.motionPrompt, seed: String(input.seed) },
  });
}

/** Creates the local video provider (`name: "local"`, see `animateLocal`). */
export function createLocalVideo(): VideoProvider {
  return { name: "local", animateImage: animateLocal };
}
