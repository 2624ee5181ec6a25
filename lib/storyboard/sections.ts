/**
 * How many segments each section gets. Sections follow the ratio intro : main : outro = 1 : 2 : 1.
 */
import type { Section } from "./types";

/** Segment count per section; the three values are integers ≥ 0 that sum to the requested total. */
export type SectionCounts = Record<Section, number>;

const WEIGHTS: ReadonlyArray<[Section, number]> = [
  ["intro", 0.25],
  ["main", 0.5],
  ["outro", 0.25],
];

/**
 * Splits `segmentCount` segments between intro, main and outro in the ratio 1:2:1.
 *
 * Rule (largest remainder / Hamilton method): each section first gets the floor of its exact quota
 * (N/4, N/2, N/4); the segments left over go one each to the sections with the largest fractional
 * remainders, ties going to the earlier section (intro before outro). Results:
 * 1 → 0/1/0, 2 → 1/1/0, 3 → 1/1/1, 4 → 1/2/1, 5 → 1/3/1, 6 → 2/3/1, 7 → 2/3/2, 10 → 3/5/2,
 * 48 → 12/24/12, 60 → 15/30/15. For N ≥ 3 intro and outro always get at least one segment.
 *
 * @param segmentCount total number of segments, an integer ≥ 0.
 * @returns `{ intro, main, outro }`, each ≥ 0, summing to `segmentCount`.
 * @throws RangeError when `segmentCount` is negative, not an integer or not finite.
 */
export function sectionCounts(segmentCount: number): SectionCounts {
  if (!Number.isInteger(segmentCount) || segmentCount < 0) {
    throw new RangeError(`segmentCount must be an integer ≥ 0, got ${segmentCount}`);
  }
  const counts: SectionCounts = { intro: 0, main: 0, outro: 0 };
  const remainders: Array<{ section: Section; fraction: number }> = [];
  let assigned = 0;
  for (const [section, weight] of WEIGHTS) {
    const quota = segmentCount * weight;
    counts[section] = Math.floor(quota);
    assigned += counts[section];
    remainders.push({ section, fraction: quota - Math.floor(quota) });
  }
  // Ties (equal remainders) go to intro before outro; main never ties with them (see docstring).
  remainders.sort((a, b) => b.fraction - a.fraction || tieOrder(a.section) - tieOrder(b.section));
  for (let i = 0; assigned < segmentCount; i++, assigned++) {
    const target = remainders[i % remainders.length]!;
    counts[target.section] += 1;
  }
  return counts;
}

function tieOrder(section: Section): number {
  return section === "intro" ? 0 : section === "outro" ? 1 : 2;
}
