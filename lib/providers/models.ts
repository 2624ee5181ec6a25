/**
 * Model names in one place. Each real provider reads `KADR_<KIND>_MODEL` (KADR_LLM_MODEL,
 * KADR_IMAGE_MODEL, KADR_VIDEO_MODEL, KADR_TTS_MODEL): an alias from the table below, or a
 * provider's model id verbatim. The pipeline and the price table only ever see resolved ids, so
 * retiring a model is a change of the alias here (or of the variable), nowhere else.
 *
 * Retirement dates that shaped the defaults (shared/notes/providers.md §0.3): gpt-image-1 shuts
 * down 2026-10-23 (default: gpt-image-2); Vertex Veo 2.0/3.0 retire 2026-06-30 (default: Veo 3.1).
 */

/** Catalog key: `<kind>.<provider>`, e.g. "video.runway" (image-edit and image-upscale: the optional image capabilities). */
export type ModelCatalogKey =
  | "llm.openai"
  | "image.openai"
  | "image.runway"
  | "image.fal"
  | "image-edit.fal"
  | "image-upscale.fal"
  | "video.runway"
  | "video.veo"
  | "video.veo-gemini"
  | "video.fal"
  | "tts.openai"
  | "tts.elevenlabs";

/** Aliases of one provider and the alias used when nothing is configured. */
export interface ModelCatalog {
  readonly defaultAlias: string;
  readonly aliases: Readonly<Record<string, string>>;
}

/** Alias → model id per provider. */
export const MODEL_CATALOG: Readonly<Record<ModelCatalogKey, ModelCatalog>> = {
  "llm.openai": {
    defaultAlias: "standard",
    aliases: { standard: "gpt-5-mini", fast: "gpt-5-nano", best: "gpt-5" },
  },
  "image.openai": {
    defaultAlias: "gpt-image",
    aliases: { "gpt-image": "gpt-image-2", "gpt-image-mini": "gpt-image-1-mini" },
  },
  "image.runway": { defaultAlias: "gen4-image", aliases: { "gen4-image": "gen4_image" } },
  "image.fal": {
    defaultAlias: "flux-schnell",
    aliases: { "flux-schnell": "fal-ai/flux/schnell", "flux-dev": "fal-ai/flux/dev" },
  },
  // Instruction edits (KADR_IMAGE_EDIT_MODEL) and upscales (KADR_IMAGE_UPSCALE_MODEL) of KADR_IMAGE=fal.
  "image-edit.fal": {
    defaultAlias: "kontext-pro",
    aliases: { "kontext-pro": "fal-ai/flux-pro/kontext", "kontext-max": "fal-ai/flux-pro/kontext/max" },
  },
  "image-upscale.fal": { defaultAlias: "clarity", aliases: { clarity: "fal-ai/clarity-upscaler" } },
  "video.runway": {
    defaultAlias: "gen4-turbo",
    aliases: { "gen4-turbo": "gen4_turbo", "gen4.5": "gen4.5" },
  },
  "video.veo": {
    defaultAlias: "veo-3.1-fast",
    aliases: { "veo-3.1": "veo-3.1-generate-001", "veo-3.1-fast": "veo-3.1-fast-generate-001" },
  },
  "video.veo-gemini": {
    defaultAlias: "veo-3.1-fast",
    aliases: { "veo-3.1": "veo-3.1-generate-preview", "veo-3.1-fast": "veo-3.1-fast-generate-preview" },
  },
  "video.fal": {
    defaultAlias: "kling-2.1",
    aliases: {
      "kling-2.1": "fal-ai/kling-video/v2.1/standard/image-to-video",
      "kling-2.1-pro": "fal-ai/kling-video/v2.1/pro/image-to-video",
    },
  },
  "tts.openai": { defaultAlias: "narrator", aliases: { narrator: "gpt-4o-mini-tts", classic: "tts-1" } },
  "tts.elevenlabs": {
    defaultAlias: "multilingual",
    aliases: { multilingual: "eleven_multilingual_v2", flash: "eleven_flash_v2_5" },
  },
};

/**
 * The model id for a catalog entry: `configured` resolved as an alias when it is one, else taken
 * verbatim (a provider id such as "gpt-5"); blank or undefined → the entry's default alias.
 *
 * @example resolveModel("video.veo", "veo-3.1") === "veo-3.1-generate-001"
 */
export function resolveModel(key: ModelCatalogKey, configured?: string): string {
  const catalog = MODEL_CATALOG[key];
  const name = configured?.trim() || catalog.defaultAlias;
  return Object.hasOwn(catalog.aliases, name) ? catalog.aliases[name]! : name;
}
