/**
 * On-screen captions derived from segment narration. Pure and deterministic.
 */
import { normalizeSpaces } from "./text";

/** Default maximum caption length in characters (fits one or two lines on a 720 px wide frame). */
export const CAPTION_MAX_CHARS = 60;

/** A first clause shorter than this (e.g. "Итак," / "However,") is extended with the next clause. */
const MIN_CLAUSE_CHARS = 16;

const ELLIPSIS = "…";

/**
 * A short caption for a segment: the first clause of its narration (up to the first `,` `;` `:`
 * or spaced dash — extended clause by clause while shorter than 16 chars — and never past the end
 * of the first sentence), without trailing commas or periods (a final `?`/`!` is kept), without
 * unbalanced quotes or brackets, and without a pair of them wrapping the whole caption. When longer than
 * `maxChars` it is cut at the last word boundary that leaves room for a trailing "…" (a single word
 * longer than the limit is cut mid-word).
 *
 * @param narration segment narration (any whitespace).
 * @param maxChars maximum length in characters (UTF-16 code units), an integer ≥ 2; default 60.
 * @returns the caption, `""` for blank narration; never longer than `maxChars`.
 * @throws RangeError when `maxChars` is not an integer ≥ 2.
 */
export function captionFor(narration: string, maxChars: number = CAPTION_MAX_CHARS): string {
  if (!Number.isInteger(maxChars) || maxChars < 2) {
    throw new RangeError(`maxChars must be an integer ≥ 2, got ${maxChars}`);
  }
  const text = normalizeSpaces(narration).replace(/^[—–-]\s*/u, "");
  if (text.length === 0) return "";
  let clause = "";
  let complete = false;
  const boundary = /[,;:.!?…]+["'»”’)\]]*(?=\s|$)|\s[—–-](?=\s)/gu;
  for (const match of text.matchAll(boundary)) {
    const end = match[0].startsWith(" ") ? match.index : match.index + match[0].length;
    clause = text.slice(0, end);
    // A sentence end always closes the caption; a short clause ("Итак,") is extended to the next one.
    complete = /[.!?…]/u.test(match[0]) || clause.length >= MIN_CLAUSE_CHARS;
    if (complete) break;
  }
  if (!complete) clause = text;
  clause = tidy(clause);
  if (clause.length <= maxChars) return clause;
  const room = maxChars - ELLIPSIS.length;
  const cut = clause.slice(0, room + 1);
  const space = cut.lastIndexOf(" ");
  const head = space > 0 ? cut.slice(0, space) : clause.slice(0, room);
  return `${tidy(head)}${ELLIPSIS}`;
}

/** Trailing characters removed from a caption: clause punctuation, periods, dashes, spaces. */
const TRAILING = /[,;:.\s—–-]+$/u;

/** Strips trailing punctuation, unbalanced quotes/brackets and a quote/bracket pair wrapping everything. */
function tidy(text: string): string {
  let out = balance(text.replace(TRAILING, ""));
  for (const [open, close] of [...PAIRS, ['"', '"'] as [string, string]]) {
    const inner = out.slice(1, -1);
    if (
      out.length >= 2 &&
      out.startsWith(open) &&
      out.endsWith(close) &&
      !inner.includes(open) &&
      !inner.includes(close)
    ) {
      out = inner.replace(TRAILING, "").trim();
    }
  }
  return out;
}

const PAIRS: ReadonlyArray<[string, string]> = [
  ["«", "»"],
  ["“", "”"],
  ["(", ")"],
  ["[", "]"],
];

/** Removes quote/bracket characters that have no partner, and straight double quotes when odd in number. */
function balance(text: string): string {
  let out = text;
  for (const [open, close] of PAIRS) {
    const opens = out.split(open).length - 1;
    const closes = out.split(close).length - 1;
    if (opens !== closes) out = out.split(open).join("").split(close).join("");
  }
  if ((out.split('"').length - 1) % 2 === 1) out = out.split('"').join("");
  return out.trim();
}
