/**
 * Choosing a provider's output ratio ("W:H" strings in px, as Runway lists them) for a requested
 * size: the closest aspect ratio first, then the smallest one that still covers the requested
 * pixels (else the largest).
 */

/**
 * The entry of `ratios` ("W:H") that best matches `width × height` (see the module comment).
 * @throws RangeError on an empty list.
 */
export function closestRatio(ratios: readonly string[], width: number, height: number): string {
  if (ratios.length === 0) throw new RangeError("no ratios to choose from");
  const target = Math.log(width / height);
  const parsed = ratios.map((ratio) => {
    const [w, h] = ratio.split(":").map(Number) as [number, number];
    return { ratio, distance: Math.abs(Math.log(w / h) - target), pixels: w * h };
  });
  const best = Math.min(...parsed.map((p) => p.distance));
  const sameAspect = parsed.filter((p) => p.distance - best < 1e-9).sort((a, b) => a.pixels - b.pixels);
  return (sameAspect.find((p) => p.pixels >= width * height) ?? sameAspect[sameAspect.length - 1]!).ratio;
}
