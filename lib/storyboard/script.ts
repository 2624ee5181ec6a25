/**
 * Building a `Script` from text the user pasted. Pure and deterministic.
 */
import { captionFor } from "./captions";
import { sectionCounts } from "./sections";
import { countWords, splitParagraphs, splitSentences } from "./text";
import type { Language, Script } from "./types";

const UNTITLED: Record<Language, string> = { en: "Untitled", ru: "Без названия" };

/**
 * Turns a pasted script into a `Script`, keeping the text as is (no rewriting, nothing dropped
 * except a leading Markdown heading line, which becomes the title).
 *
 * Paragraphs are separated by blank lines (or by single line breaks when there is no blank line):
 * - 3+ paragraphs: the first is the intro, the last the outro, the rest (joined by blank lines) main;
 * - 2 paragraphs: the first is the intro; the sentences of the second go to main and outro in the
 *   ratio 2:1 (outro gets ⌊n/3⌋ sentences, at least 1 when the paragraph has 2+ sentences);
 * - 1 paragraph: its sentences are split 1:2:1 with `sectionCounts(sentenceCount)`.
 *
 * The title is the Markdown heading (`# Title`) when the text starts with one, else the caption of
 * the first sentence (≤ 60 chars, see `captionFor`).
 *
 * @param text pasted script, any line endings.
 * @param language language of the text (only used for the fallback title).
 * @returns the script; sections that receive nothing are `""`.
 * @throws RangeError when the text contains no words.
 */
export function scriptFromText(text: string, language: Language): Script {
  let paragraphs = splitParagraphs(text);
  let title = "";
  const heading = /^#{1,6}\s+(.+)$/u.exec(paragraphs[0]?.split("\n")[0] ?? "");
  if (heading) {
    title = heading[1]!.trim();
    const rest = paragraphs[0]!.split("\n").slice(1).join("\n").trim();
    paragraphs = rest ? [rest, ...paragraphs.slice(1)] : paragraphs.slice(1);
  }
  if (countWords(paragraphs.join(" ")) === 0) throw new RangeError("script text contains no words");
  const sections = toSections(paragraphs);
  if (!title) title = captionFor(splitSentences(paragraphs[0]!)[0] ?? "") || UNTITLED[language];
  return { title, sections };
}

function toSections(paragraphs: string[]): Script["sections"] {
  if (paragraphs.length >= 3) {
    return {
      intro: paragraphs[0]!,
      main: paragraphs.slice(1, -1).join("\n\n"),
      outro: paragraphs[paragraphs.length - 1]!,
    };
  }
  if (paragraphs.length === 2) {
    const sentences = splitSentences(paragraphs[1]!);
    const outroCount = sentences.length >= 2 ? Math.max(1, Math.floor(sentences.length / 3)) : 0;
    const mainCount = sentences.length - outroCount;
    return {
      intro: paragraphs[0]!,
      main: sentences.slice(0, mainCount).join(" "),
      outro: sentences.slice(mainCount).join(" "),
    };
  }
  const sentences = splitSentences(paragraphs[0] ?? "");
  const counts = sectionCounts(sentences.length);
  return {
    intro: sentences.slice(0, counts.intro).join(" "),
    main: sentences.slice(counts.intro, counts.intro + counts.main).join(" "),
    outro: sentences.slice(counts.intro + counts.main).join(" "),
  };
}
