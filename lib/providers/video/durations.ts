/**
 * Clip lengths each video model accepts. A segment's clip is requested at the shortest accepted
 * length that covers the segment (the longest one when none does) and then normalized to the
 * segment's exact length (`normalizeClip` cuts or holds the last frame). The price estimate bills
 * the same requested length.
 */

/** Accepted clip lengths in whole seconds for a model, ascending. */
export function acceptedClipSeconds(provider: string, model: string): readonly number[] {
  if (provider === "runway") return [2, 3, 4, 5, 6, 7, 8, 9, 10]; // gen4_turbo / gen4.5: integers 2–10
  if (provider === "veo" || provider === "veo-gemini") return [4, 6, 8]; // Veo 3.x durationSeconds
  if (provider === "fal" && model.includes("kling")) return [5, 10]; // Kling duration "5" | "10"
  return [];
}

/**
 * The clip length to request for a segment of `seconds`, in whole seconds: the shortest accepted
 * length ≥ seconds, else the longest accepted one; `ceil(seconds)` for models without a list.
 */
export function requestedClipSeconds(provider: string, model: string, seconds: number): number {
  const accepted = acceptedClipSeconds(provider, model);
  if (accepted.length === 0) return Math.ceil(seconds);
  return accepted.find((s) => s >= seconds) ?? accepted[accepted.length - 1]!;
}
