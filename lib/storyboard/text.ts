/**
 * Text primitives for narration: speaking rate, word counting, sentence and paragraph splitting,
 * clause-level splitting of long sentences, key words. Pure and deterministic.
 */
import type { Language } from "./types";

/**
 * Assumed narration speed in words per second.
 *
 * - en 2.5 wps = 150 wpm: the usual figure for audiobook / explainer narration (150–160 wpm).
 * - ru 2.1 wps ≈ 126 wpm: Russian words are longer than English ones (≈ 6.3 vs ≈ 4.7 letters, and
 *   more syllables per word), so narrated Russian is usually quoted at 110–130 wpm.
 *
 * Checked against the local TTS on this machine: espeak-ng at `-s 150` speaks ≈ 2.2 wps in Russian
 * and ≈ 2.6 wps in English, i.e. slightly faster than these figures, so planned text fits.
 */
export const WORDS_PER_SECOND: Readonly<Record<Language, number>> = { en: 2.5, ru: 2.1 };

const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;

/** Whitespace-separated tokens of `text` (punctuation stays attached; dashes are their own tokens). */
export function tokens(text: string): string[] {
  return text.split(/\s+/u).filter((t) => t.length > 0);
}

/** Number of spoken words in `text`: tokens containing a letter or digit (a lone "—" is not a word). */
export function countWords(text: string): number {
  let n = 0;
  for (const t of tokens(text)) if (HAS_WORD_CHAR.test(t)) n++;
  return n;
}

/**
 * Estimated time to speak `text`, in seconds: `countWords(text) / WORDS_PER_SECOND[language]`.
 * Returns 0 for text without words.
 */
export function estimateSpeechSeconds(text: string, language: Language): number {
  return countWords(text) / WORDS_PER_SECOND[language];
}

/** Collapses runs of whitespace (including newlines) to one space and trims. */
export function normalizeSpaces(text: string): string {
  return text.replace(/\s+/gu, " ").trim();
}

/**
 * Splits text into paragraphs at blank lines. When there is no blank line but several non-empty
 * lines, every line is a paragraph (text pasted from chats usually separates paragraphs by a single
 * newline). Each paragraph is trimmed; empty ones are dropped.
 *
 * @returns paragraphs in order (`[]` for blank text).
 */
export function splitParagraphs(text: string): string[] {
  const normalized = text.replace(/\r\n?/gu, "\n");
  const byBlank = normalized
    .split(/\n[ \t]*\n/u)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (byBlank.length !== 1) return byBlank;
  const lines = byBlank[0]!
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.length > 1 ? lines : byBlank;
}

/**
 * Abbreviations after which a period does not end a sentence (compared lower-case, without the
 * final period). Titles before names, "e.g."/"т.е." style fillers, units and place words.
 * Abbreviations that usually close a sentence ("etc.", "т.д.", "т.п.", "др.") are not listed: they
 * end a sentence when the next word is capitalized.
 */
const NON_TERMINAL_ABBREVIATIONS = new Set([
  // English
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sr",
  "st",
  "mt",
  "vs",
  "e.g",
  "i.e",
  "cf",
  "approx",
  "gen",
  "gov",
  "sen",
  "rep",
  "lt",
  "col",
  "sgt",
  "capt",
  // Russian
  "т.е",
  "т.к",
  "т.н",
  "т.ч",
  "т",
  "напр",
  "им",
  "ул",
  "пр",
  "просп",
  "пл",
  "г",
  "гг",
  "в",
  "вв",
  "акад",
  "проф",
  "доц",
  "св",
  "ср",
  "ген",
  "жен",
  "муж",
]);

/** Abbreviations that do not end a sentence when a number follows ("No. 5", "рис. 3", "с. 12"). */
const BEFORE_NUMBER_ABBREVIATIONS = new Set([
  "no",
  "nos",
  "p",
  "pp",
  "vol",
  "fig",
  "ch",
  "art",
  "ст",
  "рис",
  "стр",
  "с",
  "п",
  "пп",
  "гл",
  "д",
  "кв",
  "№",
]);

const BOUNDARY = /[.!?…]+["'»”’)\]]*(\s+)/gu;
const OPENING = /["'«“„([]/u;
const DASH = /^[—–-]$/u;

/**
 * Splits text into sentences. Handles `.`, `!`, `?`, `…` and `...`, closing quotes and brackets
 * after the terminator (`«Привет!» Потом…`), abbreviations (`Mr.`, `e.g.`, `т.е.`, `г.`, initials
 * like `А. С. Пушкин`), numbered list markers (`1.`), and dialogue attribution after a dash
 * (`«Привет!» — сказал он.` stays one sentence). A sentence ends only before an upper-case
 * letter, a digit, an opening quote/bracket or a dash; an ellipsis before a lower-case word does
 * not end a sentence.
 *
 * Line breaks are boundaries too (list items, headings), except when the next line starts with a
 * lower-case letter (a hard-wrapped sentence continues).
 *
 * @returns sentences in order, each trimmed with internal whitespace collapsed; `[]` for blank text.
 *   Joining them with spaces gives back the text's tokens in order.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const block of lineBlocks(text)) {
    let start = 0;
    for (const match of block.matchAll(BOUNDARY)) {
      const end = match.index + match[0].length - match[1]!.length;
      if (isSentenceEnd(block, start, end, end + match[1]!.length)) {
        pushSentence(sentences, block.slice(start, end));
        start = end;
      }
    }
    pushSentence(sentences, block.slice(start));
  }
  return sentences;
}

function pushSentence(out: string[], raw: string): void {
  const s = normalizeSpaces(raw);
  if (s.length > 0) out.push(s);
}

/** Lines of the text, with lines that start lower-case joined onto the previous one. */
function lineBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (const rawLine of text.replace(/\r\n?/gu, "\n").split("\n")) {
    const line = rawLine.trim();
    if (line.length === 0) continue;
    if (blocks.length > 0 && /^\p{Ll}/u.test(line)) blocks[blocks.length - 1] += ` ${line}`;
    else blocks.push(line);
  }
  return blocks;
}

/**
 * Whether the terminator ending at `end` (exclusive, before whitespace) closes the sentence that
 * began at `start`; `next` is the index of the first character after the whitespace.
 */
function isSentenceEnd(block: string, start: number, end: number, next: number): boolean {
  const sentence = block.slice(start, end);
  if (!HAS_WORD_CHAR.test(sentence.replace(/^\s*\d+[.)]?\s*$/u, ""))) return false; // "1." list marker
  const following = block.slice(next, next + 80); // enough to see the next word
  const nextChar = following[0] ?? "";
  if (DASH.test(nextChar)) {
    // «Привет!» — сказал он. : attribution continues the sentence.
    const afterDash = following.slice(1).trimStart();
    if (/^\p{Ll}/u.test(afterDash)) return false;
  } else if (!(/^[\p{Lu}\p{N}]/u.test(nextChar) || OPENING.test(nextChar))) {
    return false;
  }
  const terminator = /[.!?…]+["'»”’)\]]*$/u.exec(sentence)?.[0] ?? "";
  if (terminator.replace(/["'»”’)\]]/gu, "") !== ".") return true; // !, ?, …, ... always end
  const lastToken = sentence.slice(sentence.search(/\S+$/u));
  const word = lastToken
    .slice(0, -1)
    .replace(/^["'«“„([]+/u, "")
    .toLowerCase();
  // "т. д." / "т. п.": the "т." is not an end, but the "д."/"п." after it is one (not listed).
  if (NON_TERMINAL_ABBREVIATIONS.has(word)) return false;
  if (BEFORE_NUMBER_ABBREVIATIONS.has(word) && /^\p{N}/u.test(nextChar)) return false;
  if (/^\p{Lu}$/u.test(lastToken.slice(0, -1))) return false; // initial: "А. С. Пушкин", "J. R. R."
  return true;
}

/** How a text unit ends: at the end of a sentence, at a clause boundary, or at a plain word boundary. */
export type UnitEnd = "sentence" | "clause" | "word";

/** A piece of narration with its word count (`countWords`) and the kind of boundary it ends at. */
export interface TextUnit {
  text: string;
  words: number;
  end: UnitEnd;
}

/** Whether a cut between tokens `at - 1` and `at` is a clause boundary (after , ; : or at a dash). */
function isClauseCut(toks: readonly string[], at: number): boolean {
  return /[,;:]["'»”’)\]]*$/u.test(toks[at - 1]!) || DASH.test(toks[at]!) || /[—–]$/u.test(toks[at - 1]!);
}

function wordsBeforeEachToken(toks: readonly string[]): number[] {
  const before: number[] = [0];
  for (const t of toks) before.push(before[before.length - 1]! + (HAS_WORD_CHAR.test(t) ? 1 : 0));
  return before;
}

/**
 * Cuts a sentence into its clauses: after `,` `;` `:` (and closing quotes) and before a spaced
 * dash, wherever both sides keep at least one word.
 *
 * @returns the clauses in order; all but the last end with `"clause"`, the last with `end`.
 */
export function splitClauses(sentence: string, end: UnitEnd = "sentence"): TextUnit[] {
  const toks = tokens(sentence);
  const before = wordsBeforeEachToken(toks);
  const total = before[toks.length]!;
  const units: TextUnit[] = [];
  let from = 0;
  for (let at = 1; at < toks.length; at++) {
    const left = before[at]! - before[from]!;
    if (left > 0 && total - before[at]! > 0 && isClauseCut(toks, at)) {
      units.push({ text: toks.slice(from, at).join(" "), words: left, end: "clause" });
      from = at;
    }
  }
  units.push({ text: toks.slice(from).join(" "), words: total - before[from]!, end });
  return units;
}

/** Penalty (in balance units, 0..1) for cutting at a plain word boundary instead of a clause boundary. */
const WORD_CUT_PENALTY = 0.35;

/**
 * Splits one text unit in two, preferring clause boundaries near the middle by word count, else
 * the word boundary nearest the middle (score: imbalance + 0.35 for a plain word cut).
 *
 * @returns the two pieces (the first ends with `"clause"` or `"word"`, the second keeps the unit's
 *   `end`), or `null` when the unit has fewer than two words.
 */
export function splitUnit(unit: TextUnit): [TextUnit, TextUnit] | null {
  const toks = tokens(unit.text);
  const before = wordsBeforeEachToken(toks);
  const total = before[toks.length]!;
  let best: { at: number; score: number; clause: boolean } | null = null;
  for (let at = 1; at < toks.length; at++) {
    const left = before[at]!;
    const right = total - left;
    if (left === 0 || right === 0) continue;
    const clause = isClauseCut(toks, at);
    const score = Math.abs(left - right) / total + (clause ? 0 : WORD_CUT_PENALTY);
    if (best === null || score < best.score) best = { at, score, clause };
  }
  if (best === null) return null;
  return [
    { text: toks.slice(0, best.at).join(" "), words: before[best.at]!, end: best.clause ? "clause" : "word" },
    { text: toks.slice(best.at).join(" "), words: total - before[best.at]!, end: unit.end },
  ];
}

const STOPWORDS = new Set(
  (
    "the a an and or but of to in on at for with from by as is are was were be been being it its this that " +
    "these those there here then than so such very can will would should could may might must have has had " +
    "do does did not no yes you your we our they their he she his her them us i me my into about over after " +
    "before while when where what which who whom why how also just more most some any each every other " +
    "first second third next finally today let lets let's one two three step thing things really often well " +
    "because through else everything something nothing anything always never still even much many " +
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее её мне было " +
    "вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас " +
    "нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем " +
    "была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем " +
    "ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два " +
    "об другой хоть после над больше тот через эти нас про всего них какая много разве три эту моя впрочем " +
    "хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между это эта " +
    "также очень сегодня давайте шаг первое второе третье далее затем сначала итак тема темы теме тему " +
    "который которая которые которых весь всё вся свой своя своё"
  )
    .replace(/ё/gu, "е")
    .split(" "),
);

/**
 * Key words of a text for prompts: words of ≥ 4 letters that are not stop words (en + ru), ranked by
 * frequency then first occurrence, lower-cased, without punctuation.
 *
 * @param max maximum number of words returned (default 5).
 * @returns up to `max` distinct words; `[]` when none qualify.
 */
export function keyWords(text: string, max = 5): string[] {
  const counts = new Map<string, { word: string; n: number; first: number }>();
  let position = 0;
  for (const raw of tokens(text)) {
    const word = raw.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    const key = word.replace(/ё/gu, "е");
    position++;
    if (word.length < 4 || STOPWORDS.has(key) || /^\p{N}+$/u.test(word)) continue;
    const entry = counts.get(key);
    if (entry) entry.n++;
    else counts.set(key, { word, n: 1, first: position });
  }
  return [...counts.values()]
    .sort((a, b) => b.n - a.n || a.first - b.first)
    .slice(0, max)
    .map((e) => e.word);
}
