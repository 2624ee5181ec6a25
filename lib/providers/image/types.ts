/**
 * The still-image provider: one picture per segment.
 */

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

/**
 * Renders still images. Implementations return PNG bytes of exactly `width × height` px and throw
 * `RangeError` on invalid sizes, or their own errors on transport failures.
 */
export interface ImageProvider {
  /** Provider id as selected by `KADR_IMAGE`, e.g. "local". */
  readonly name: string;
  /** Resolved model id of real providers (see models.ts), e.g. "gpt-image-2"; absent for local. */
  readonly model?: string;
  /** Renders one image; resolves to PNG bytes. */
  renderImage(input: RenderImageInput): Promise<Buffer>;
}
