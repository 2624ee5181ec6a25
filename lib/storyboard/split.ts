/**
 * Splitting narration into timed segments. Pure and deterministic.
 *
 * A section's text is cut into sentences (see `splitSentences`) and sentences into clauses (commas,
 * semicolons, colons, dashes); a clause still too long for one segment is cut at the word boundary
 * nearest its middle. The pieces are then grouped into exactly N contiguous segments by dynamic
 * programming over the cut points, minimizing
 *   Σ (words − mean)² + 4 · over² + 2 · mean · over + cut cost,
 * where over = max(0, words − capacity), capacity = words per second × segment seconds, and the cut
 * cost of ending a segment is 0 at a sentence end, (0.3 · mean)² at a clause boundary and
 * (0.8 · mean)² inside a clause. So segments are balanced, end at sentence ends when they can, are
 * cut at a comma rather than overrun their duration even slightly, and are cut between two plain
 * words only to avoid overrunning by about two words (≈ 1 s) or more.
 */
import { type SectionCounts, sectionCounts } from "./sections";
import {
  countWords,
  splitClauses,
  splitSentences,
  splitUnit,
  type TextUnit,
  type UnitEnd,
  WORDS_PER_SECOND,
} from "./text";
import { type Language, type Script, SECTIONS, type Section } from "./types";

/** Input of `splitNarration`. */
export interface SplitNarrationInput {
  /** Narration text (any whitespace, line breaks are sentence boundaries). */
  text: string;
  /** Number of segments to produce, an integer ≥ 1. */
  segmentCount: number;
  /** Duration of every segment in seconds, > 0. */
  segmentSeconds: number;
  language: Language;
}

/** Result of `splitNarration`. */
export interface NarrationSplit {
  /** Exactly `segmentCount` non-empty narration strings; joined with spaces they give back every word of the input in order. */
  segments: string[];
  /** Estimated speaking time of each segment in seconds (words / words per second). */
  estimatedSeconds: number[];
  /**
   * How much longer the whole text is than `segmentCount × segmentSeconds`, in seconds (0 when it
   * fits). The text is still distributed in full; the caller may speed up the voice or warn the user.
   */
  overflowSeconds: number;
}

/**
 * Cost of `over` words beyond a segment's capacity: OVER_SQUARE · over² + OVER_LINEAR · mean · over.
 * The linear term makes even a fraction of a word over capacity cost about as much as a clause cut.
 */
const OVER_SQUARE = 4;
const OVER_LINEAR = 2;
/** Cost of ending a segment at a clause boundary / inside a clause, as a fraction of the mean words per segment (squared). */
const CUT_COST: Record<UnitEnd, number> = { sentence: 0, clause: 0.3, word: 0.8 };

/**
 * Splits one text into `segmentCount` segments that each fit `segmentSeconds` of speech at
 * `WORDS_PER_SECOND[language]` as far as the text allows.
 *
 * Guarantees: exactly `segmentCount` segments, none empty (each has ≥ 1 word), all tokens kept in
 * order, balanced word counts, segments ending at sentence ends unless that would overrun a
 * segment noticeably (see the module comment) or there are fewer sentences than segments.
 *
 * @throws RangeError when `segmentCount` is not an integer ≥ 1, `segmentSeconds` is not a finite
 *   number > 0, or the text has fewer words than `segmentCount` (a segment would be empty).
 */
export function splitNarration(input: SplitNarrationInput): NarrationSplit {
  const { text, segmentCount, segmentSeconds, language } = input;
  validateFormat(segmentCount, segmentSeconds);
  const wps = WORDS_PER_SECOND[language];
  const units = mergeWordless(splitSentences(text).flatMap((s) => splitClauses(s)));
  const totalWords = units.reduce((n, u) => n + u.words, 0);
  if (totalWords < segmentCount) {
    throw new RangeError(
      `text has ${totalWords} word(s), fewer than the ${segmentCount} segment(s) requested; every segment needs at least one word`,
    );
  }
  const capacity = wps * segmentSeconds;
  const mean = totalWords / segmentCount;
  const pieces = coarsen(refine(units, Math.max(capacity, mean), segmentCount), segmentCount, mean);
  const groups = partition(pieces, segmentCount, mean, capacity);
  const segments = groups.map((g) => g.map((u) => u.text).join(" "));
  const estimatedSeconds = groups.map((g) => round2(g.reduce((n, u) => n + u.words, 0) / wps));
  const overflowSeconds = round2(Math.max(0, totalWords / wps - segmentCount * segmentSeconds));
  return { segments, estimatedSeconds, overflowSeconds };
}

function validateFormat(segmentCount: number, segmentSeconds: number): void {
  if (!Number.isInteger(segmentCount) || segmentCount < 1) {
    throw new RangeError(`segmentCount must be an integer ≥ 1, got ${segmentCount}`);
  }
  if (!Number.isFinite(segmentSeconds) || segmentSeconds <= 0) {
    throw new RangeError(`segmentSeconds must be a finite number > 0, got ${segmentSeconds}`);
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Attaches units without words ("—", "***") to the previous unit (or the next one at the start). */
function mergeWordless(units: TextUnit[]): TextUnit[] {
  const out: TextUnit[] = [];
  let pending = "";
  for (const u of units) {
    if (u.words === 0) {
      if (out.length > 0) out[out.length - 1]!.text += ` ${u.text}`;
      else pending = pending ? `${pending} ${u.text}` : u.text;
      continue;
    }
    out.push(pending ? { ...u, text: `${pending} ${u.text}` } : { ...u });
    pending = "";
  }
  if (pending && out.length > 0) out[out.length - 1]!.text += ` ${pending}`;
  return out;
}

/**
 * Cuts units longer than `maxWords` (recursively), then keeps cutting the longest unit until there
 * are at least `minUnits` units.
 */
function refine(units: TextUnit[], maxWords: number, minUnits: number): TextUnit[] {
  const out: TextUnit[] = [];
  const cutDown = (u: TextUnit): void => {
    const halves = u.words > maxWords ? splitUnit(u) : null;
    if (!halves) {
      out.push(u);
      return;
    }
    cutDown(halves[0]);
    cutDown(halves[1]);
  };
  for (const u of units) cutDown(u);
  while (out.length < minUnits) {
    let longest = -1;
    for (let i = 0; i < out.length; i++) if (longest < 0 || out[i]!.words > out[longest]!.words) longest = i;
    const halves = longest >= 0 ? splitUnit(out[longest]!) : null;
    if (!halves) break; // unreachable when total words ≥ minUnits
    out.splice(longest, 1, halves[0], halves[1]);
  }
  return out;
}

/** Units per segment above which `coarsen` merges units before the partition. */
const MAX_UNITS_PER_SEGMENT = 40;

/**
 * Keeps the partition fast on very long texts (far more text than the segments can hold): when
 * there are more than 40 units per segment, merges neighbours into chunks of about mean / 16 words,
 * closing a chunk at a sentence end once it is big enough (or at any boundary at twice that size).
 * Never leaves fewer than `k` units.
 */
function coarsen(units: TextUnit[], k: number, mean: number): TextUnit[] {
  if (units.length <= MAX_UNITS_PER_SEGMENT * k) return units;
  const target = Math.max(1, mean / 16);
  const out: TextUnit[] = [];
  let current: TextUnit | null = null;
  for (const u of units) {
    current = current
      ? { text: `${current.text} ${u.text}`, words: current.words + u.words, end: u.end }
      : { ...u };
    if ((current.words >= target && current.end === "sentence") || current.words >= 2 * target) {
      out.push(current);
      current = null;
    }
  }
  if (current) out.push(current);
  return out.length >= k ? out : units;
}

/**
 * Groups `units` into exactly `k` contiguous non-empty groups minimizing
 * Σ (words − mean)² + over-capacity cost + CUT_COST of each end. Requires `units.length ≥ k`.
 *
 * Groups are searched up to 2 · (mean + largest unit) words, which always leaves a feasible
 * partition (greedy groups never exceed mean + largest unit) and keeps long texts fast:
 * O(k · n · w) for w units per window instead of O(k · n²).
 */
function partition(units: TextUnit[], k: number, mean: number, capacity: number): TextUnit[][] {
  const n = units.length;
  const prefix = [0];
  for (const u of units) prefix.push(prefix[prefix.length - 1]! + u.words);
  const largest = units.reduce((m, u) => Math.max(m, u.words), 0);
  const maxGroupWords = 2 * (mean + largest);
  const cutCost = (end: UnitEnd): number => (CUT_COST[end] * mean) ** 2;
  const cost = (i: number, j: number): number => {
    const w = prefix[j]! - prefix[i]!;
    const over = Math.max(0, w - capacity);
    return (
      (w - mean) ** 2 + OVER_SQUARE * over * over + OVER_LINEAR * mean * over + cutCost(units[j - 1]!.end)
    );
  };
  // best[g][j]: minimal cost of the first j units in g groups; from[g][j]: start of the last group.
  const best: Float64Array[] = [];
  const from: Int32Array[] = [];
  for (let g = 0; g <= k; g++) {
    best.push(new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY));
    from.push(new Int32Array(n + 1));
  }
  best[0]![0] = 0;
  for (let g = 1; g <= k; g++) {
    const prevRow = best[g - 1]!;
    const row = best[g]!;
    const fromRow = from[g]!;
    for (let j = g; j <= n - (k - g); j++) {
      // Last group = units i..j-1, scanned from the shortest; a single unit is always allowed.
      for (let i = j - 1; i >= g - 1; i--) {
        if (i < j - 1 && prefix[j]! - prefix[i]! > maxGroupWords) break;
        const prev = prevRow[i]!;
        if (prev === Number.POSITIVE_INFINITY) continue;
        const c = prev + cost(i, j);
        if (c < row[j]!) {
          row[j] = c;
          fromRow[j] = i;
        }
      }
    }
  }
  const groups: TextUnit[][] = [];
  let end = n;
  for (let g = k; g >= 1; g--) {
    const start = from[g]![end]!;
    groups.unshift(units.slice(start, end));
    end = start;
  }
  return groups;
}

/**
 * How many segments each section of a script gets: `sectionCounts(segmentCount)` (1:2:1), then
 * corrected so no section gets more segments than it has words — the surplus moves to the sections
 * with the most spare words (main first on ties). A section with no text gets 0 segments.
 *
 * @returns counts summing to `segmentCount`, each ≤ the section's word count.
 * @throws RangeError when `segmentCount` is not an integer ≥ 1 or the script has fewer words than
 *   `segmentCount`.
 */
export function allocateSegments(script: Script, segmentCount: number): SectionCounts {
  if (!Number.isInteger(segmentCount) || segmentCount < 1) {
    throw new RangeError(`segmentCount must be an integer ≥ 1, got ${segmentCount}`);
  }
  const words: SectionCounts = {
    intro: countWords(script.sections.intro),
    main: countWords(script.sections.main),
    outro: countWords(script.sections.outro),
  };
  const total = words.intro + words.main + words.outro;
  if (total < segmentCount) {
    throw new RangeError(
      `script has ${total} word(s), fewer than the ${segmentCount} segment(s) requested; every segment needs at least one word`,
    );
  }
  const counts = sectionCounts(segmentCount);
  let surplus = 0;
  for (const s of SECTIONS) {
    if (counts[s] > words[s]) {
      surplus += counts[s] - words[s];
      counts[s] = words[s];
    }
  }
  const order: Section[] = ["main", "intro", "outro"];
  while (surplus > 0) {
    let target: Section | null = null;
    for (const s of order) {
      if (
        words[s] - counts[s] > 0 &&
        (target === null || words[s] - counts[s] > words[target] - counts[target])
      ) {
        target = s;
      }
    }
    if (target === null) break; // unreachable: total ≥ segmentCount
    counts[target] += 1;
    surplus -= 1;
  }
  return counts;
}

/** Input of `splitScript`. */
export interface SplitScriptInput {
  script: Script;
  /** Total number of segments, an integer ≥ 1. */
  segmentCount: number;
  /** Duration of every segment in seconds, > 0. */
  segmentSeconds: number;
  language: Language;
}

/** One segment of a split script, before prompts are added. */
export interface TimedSegment {
  /** 0-based position in the video. */
  index: number;
  section: Section;
  /** Non-empty narration text. */
  narration: string;
  /** `index × segmentSeconds`, in seconds. */
  startSeconds: number;
  /** `segmentSeconds`, in seconds. */
  seconds: number;
  /** Estimated speaking time of `narration`, in seconds. */
  estimatedSeconds: number;
}

/** Result of `splitScript`. */
export interface ScriptSplit {
  /** Exactly `segmentCount` segments in order: intro, then main, then outro. */
  segments: TimedSegment[];
  /** Segments per section actually used (see `allocateSegments`). */
  counts: SectionCounts;
  /** Sum over sections of `NarrationSplit.overflowSeconds`, in seconds (0 when everything fits). */
  overflowSeconds: number;
}

/**
 * Splits a script into timed segments: each section is split separately (intro text → intro
 * segments, …) into the number of segments `allocateSegments` gives it. A section that has text but
 * gets no segment (e.g. intro when `segmentCount` is 1) is merged into the neighbouring section's
 * text — intro into the start of the next section, outro into the end of the previous one, main
 * into whichever of them has segments — so no narration is ever dropped.
 *
 * @throws RangeError on an invalid format or a script with fewer words than `segmentCount`.
 */
export function splitScript(input: SplitScriptInput): ScriptSplit {
  const { script, segmentCount, segmentSeconds, language } = input;
  validateFormat(segmentCount, segmentSeconds);
  const counts = allocateSegments(script, segmentCount);
  const texts = { ...script.sections };
  const withSegments = SECTIONS.filter((s) => counts[s] > 0);
  for (const [i, s] of SECTIONS.entries()) {
    if (counts[s] > 0 || countWords(texts[s]) === 0) continue;
    // Nearest section with segments: the following one for text before it, else the preceding one.
    const after = withSegments.find((t) => SECTIONS.indexOf(t) > i);
    const before = [...withSegments].reverse().find((t) => SECTIONS.indexOf(t) < i);
    if (after) texts[after] = `${texts[s]}\n${texts[after]}`;
    else if (before) texts[before] = `${texts[before]}\n${texts[s]}`;
    texts[s] = "";
  }
  const segments: TimedSegment[] = [];
  let overflowSeconds = 0;
  for (const section of SECTIONS) {
    if (counts[section] === 0) continue;
    const split = splitNarration({
      text: texts[section],
      segmentCount: counts[section],
      segmentSeconds,
      language,
    });
    overflowSeconds += split.overflowSeconds;
    split.segments.forEach((narration, i) => {
      const index = segments.length;
      segments.push({
        index,
        section,
        narration,
        startSeconds: index * segmentSeconds,
        seconds: segmentSeconds,
        estimatedSeconds: split.estimatedSeconds[i]!,
      });
    });
  }
  return { segments, counts, overflowSeconds: round2(overflowSeconds) };
}
