/**
 * Storyboard: pure, deterministic logic — sections (1:2:1), narration splitting and timing,
 * captions, pasted-script parsing. No I/O.
 */
export { CAPTION_MAX_CHARS, captionFor } from "./captions";
export { scriptFromText } from "./script";
export { type SectionCounts, sectionCounts } from "./sections";
export {
  allocateSegments,
  type NarrationSplit,
  type ScriptSplit,
  type SplitNarrationInput,
  type SplitScriptInput,
  splitNarration,
  splitScript,
  type TimedSegment,
} from "./split";
export {
  countWords,
  estimateSpeechSeconds,
  keyWords,
  normalizeSpaces,
  splitParagraphs,
  splitSentences,
  WORDS_PER_SECOND,
} from "./text";
export * from "./types";
