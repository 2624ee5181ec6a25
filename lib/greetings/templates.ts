/**
 * Personalized greeting templates: a finished storyboard with a `{name}` slot in the narration (and
 * so in the caption track, which is the narration). Everything a picture depends on — image
 * prompts, on-image captions, motion prompts — is name-free, so the asset cache
 * (lib/studio/pipeline.ts `cacheKeyOf`) renders each image and clip once per template; a new name
 * costs only its narration and the assembly.
 *
 * The storyboards follow what Kadr's own planner produces for a 4 × 5 s video (intro / main × 2 /
 * outro, flat-illustration image prompts, one camera move per segment), written out by hand so
 * that a template never changes between runs.
 */
import type { Language, Section } from "@/lib/storyboard/types";

/** One segment of a template; `{name}` in `narration` is replaced by the recipient's name. */
export interface TemplateSegment {
  section: Section;
  narration: string;
  /** On-image caption (name-free). */
  caption: string;
  imagePrompt: string;
  motionPrompt: string;
}

/** A greeting template: a fixed storyboard, its language, format and price per request. */
export interface GreetingTemplate {
  id: string;
  language: Language;
  /** Title of the video; `{name}` allowed. */
  title: string;
  /** What the template is, for pickers. */
  description: string;
  aspect: "16:9" | "9:16" | "1:1";
  /** Seconds per segment. */
  segmentSeconds: number;
  /** Credits one request costs (each requester pays once, whether it renders or is shared). */
  priceCredits: number;
  segments: TemplateSegment[];
}

/** The `{name}` slot. */
export const NAME_SLOT = "{name}";

const STYLE = "flat illustration, warm winter palette, soft light, no text";

/** Kadr's greeting templates by id. */
export const GREETING_TEMPLATES: Readonly<Record<string, GreetingTemplate>> = {
  "new-year-ru": {
    id: "new-year-ru",
    language: "ru",
    title: "С Новым годом, {name}!",
    description: "Новогоднее поздравление по имени, 20 секунд",
    aspect: "9:16",
    segmentSeconds: 5,
    priceCredits: 5,
    segments: [
      {
        section: "intro",
        narration: "{name}, с Новым годом!",
        caption: "С Новым годом!",
        imagePrompt: `${STYLE}; a small snowy town at night, warm lit windows, fir trees with garlands`,
        motionPrompt: "slow zoom in",
      },
      {
        section: "main",
        narration: "Пусть этот год принесёт радость, тепло и много поводов улыбаться.",
        caption: "Радости и тепла",
        imagePrompt: `${STYLE}; a cozy room with a decorated New Year tree, wrapped gifts and candles`,
        motionPrompt: "slow pan right",
      },
      {
        section: "main",
        narration: "Пусть сбудется задуманное, а рядом будут самые близкие.",
        caption: "Пусть мечты сбываются",
        imagePrompt: `${STYLE}; friends on a snowy hill watching fireworks over the town`,
        motionPrompt: "slow zoom out",
      },
      {
        section: "outro",
        narration: "Счастливого Нового года, {name}!",
        caption: "Счастливого Нового года!",
        imagePrompt: `${STYLE}; a clock tower at midnight, fireworks and falling snow`,
        motionPrompt: "slow zoom in",
      },
    ],
  },
  "new-year-en": {
    id: "new-year-en",
    language: "en",
    title: "Happy New Year, {name}!",
    description: "A New Year greeting by name, 20 seconds",
    aspect: "9:16",
    segmentSeconds: 5,
    priceCredits: 5,
    segments: [
      {
        section: "intro",
        narration: "Happy New Year, {name}!",
        caption: "Happy New Year!",
        imagePrompt: `${STYLE}; a small snowy town at night, warm lit windows, fir trees with garlands`,
        motionPrompt: "slow zoom in",
      },
      {
        section: "main",
        narration: "May this year bring you joy, warmth and many reasons to smile.",
        caption: "Joy and warmth",
        imagePrompt: `${STYLE}; a cozy room with a decorated New Year tree, wrapped gifts and candles`,
        motionPrompt: "slow pan right",
      },
      {
        section: "main",
        narration: "May your plans come true, with the people you love close by.",
        caption: "Dreams come true",
        imagePrompt: `${STYLE}; friends on a snowy hill watching fireworks over the town`,
        motionPrompt: "slow zoom out",
      },
      {
        section: "outro",
        narration: "Have a wonderful year, {name}!",
        caption: "Have a wonderful year!",
        imagePrompt: `${STYLE}; a clock tower at midnight, fireworks and falling snow`,
        motionPrompt: "slow zoom in",
      },
    ],
  },
};

/** Template ids, for validation and pickers. */
export const GREETING_TEMPLATE_IDS = Object.keys(GREETING_TEMPLATES);

/** Fills every `{name}` slot of `text`. */
export function fillName(text: string, name: string): string {
  return text.replaceAll(NAME_SLOT, name);
}
