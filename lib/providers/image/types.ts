/**
 * The still-image provider: one picture per segment, and — where the provider offers them — an
 * instruction edit of an existing picture and an upscale.
 */

/** Smallest and largest accepted image side, in px. */
export const MIN_IMAGE_SIDE = 16;
export const MAX_IMAGE_SIDE = 4096;

/** Longest edit instruction, in characters. */
export const MAX_INSTRUCTION_CHARS = 500;

/** Input of `ImageProvider.renderImage`. */
export interface RenderImageInput {
  /** What to draw (the segment's image prompt). */
  prompt: string;
  /** Caption drawn onto the picture by providers that support it (local); `""` for none. */
  caption: string;
  /** Output width in px (e.g. 1280, 720, 1080). */
  width: number;
  /** Output height in px (e.g. 720, 1280, 1080). */
  height: number;
  /**
   * Variation seed (a number, or any string such as the prompt or a content hash): the same prompt
   * with another seed gives another picture; the same prompt and seed give the same picture.
   */
  seed: number | string;
}

/** Input of `ImageProvider.editImage`. */
export interface EditImageInput {
  /** The picture to change: PNG bytes (JPEG and WebP are accepted too). */
  image: Buffer;
  /** What to change, in the user's words, e.g. "make the sky red" (1–MAX_INSTRUCTION_CHARS characters). */
  instruction: string;
  /** Output width in px (the job's frame, e.g. 1280). */
  width: number;
  /** Output height in px (e.g. 720). */
  height: number;
  /** Variation seed, as in `RenderImageInput.seed`. */
  seed: number | string;
}

/** Input of `ImageProvider.upscaleImage`. */
export interface UpscaleImageInput {
  /** The picture to enlarge: PNG bytes (JPEG and WebP are accepted too). */
  image: Buffer;
  /** Enlargement factor, > 1 and ≤ MAX_UPSCALE_FACTOR (fal's upscalers stop at 4). */
  scale: number;
}

/** Largest `UpscaleImageInput.scale`. */
export const MAX_UPSCALE_FACTOR = 4;

/**
 * Renders still images. Implementations return PNG bytes of exactly `width × height` px and throw
 * `RangeError` on invalid sizes, or their own errors on transport failures.
 *
 * `editImage` and `upscaleImage` are optional capabilities (local and fal have both; OpenAI and
 * Runway neither): callers test `typeof provider.editImage === "function"`.
 */
export interface ImageProvider {
  /** Provider id as selected by `KADR_IMAGE`, e.g. "local". */
  readonly name: string;
  /** Resolved model id of real providers (see models.ts), e.g. "gpt-image-2"; absent for local. */
  readonly model?: string;
  /** Renders one image; resolves to PNG bytes. */
  renderImage(input: RenderImageInput): Promise<Buffer>;
  /**
   * Changes a picture as the instruction says, keeping the rest of it; resolves to a PNG of exactly
   * `width × height` px.
   * @throws RangeError on invalid sizes or a blank instruction; ProviderError from real providers.
   */
  editImage?(input: EditImageInput): Promise<Buffer>;
  /**
   * Enlarges a picture by `scale`; resolves to a PNG of exactly round(width × scale) ×
   * round(height × scale) px.
   * @throws RangeError when scale is not in (1, MAX_UPSCALE_FACTOR] or the result would exceed
   *   MAX_IMAGE_SIDE; ProviderError from real providers.
   */
  upscaleImage?(input: UpscaleImageInput): Promise<Buffer>;
}
