/**
 * Shared by the image providers: size, instruction and scale validation (the same bounds for
 * every provider) and fitting a provider's picture to the exact requested size.
 */
import sharp from "sharp";
import {
  type EditImageInput,
  MAX_IMAGE_SIDE,
  MAX_INSTRUCTION_CHARS,
  MAX_UPSCALE_FACTOR,
  MIN_IMAGE_SIDE,
  type UpscaleImageInput,
} from "./types";

/** @throws RangeError when width or height is not an integer in [MIN_IMAGE_SIDE, MAX_IMAGE_SIDE]. */
export function validateImageSize(width: number, height: number): void {
  for (const [name, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(value) || value < MIN_IMAGE_SIDE || value > MAX_IMAGE_SIDE) {
      throw new RangeError(
        `${name} must be an integer from ${MIN_IMAGE_SIDE} to ${MAX_IMAGE_SIDE} px, got ${value}`,
      );
    }
  }
}

/**
 * Checks an edit request: the output size, an instruction of 1–MAX_INSTRUCTION_CHARS characters
 * after trimming, and a finite numeric seed.
 * @returns the trimmed instruction.
 * @throws RangeError naming the problem.
 */
export function validateEdit(input: EditImageInput): string {
  validateImageSize(input.width, input.height);
  const instruction = input.instruction.trim();
  if (!instruction || instruction.length > MAX_INSTRUCTION_CHARS) {
    throw new RangeError(
      `instruction must have 1 to ${MAX_INSTRUCTION_CHARS} characters, got ${instruction.length}`,
    );
  }
  if (typeof input.seed === "number" && !Number.isFinite(input.seed))
    throw new RangeError(`seed must be a finite number, got ${input.seed}`);
  return instruction;
}

/**
 * The size an upscale produces: round(width × scale) × round(height × scale) of the decoded input.
 * @throws RangeError when scale is not in (1, MAX_UPSCALE_FACTOR] or a side would leave
 *   [MIN_IMAGE_SIDE, MAX_IMAGE_SIDE]; Error from sharp when the bytes are not an image.
 */
export async function upscaledSize(
  input: UpscaleImageInput,
): Promise<{ width: number; height: number; sourceWidth: number; sourceHeight: number }> {
  const { scale } = input;
  if (!(Number.isFinite(scale) && scale > 1 && scale <= MAX_UPSCALE_FACTOR)) {
    throw new RangeError(`scale must be > 1 and ≤ ${MAX_UPSCALE_FACTOR}, got ${scale}`);
  }
  const { width: sourceWidth = 0, height: sourceHeight = 0 } = await sharp(input.image).metadata();
  const width = Math.round(sourceWidth * scale);
  const height = Math.round(sourceHeight * scale);
  validateImageSize(width, height);
  return { width, height, sourceWidth, sourceHeight };
}

/**
 * Scales and centre-crops any image sharp decodes (PNG, JPEG, WebP) to exactly `width × height`
 * px and encodes it as an RGB PNG.
 * @throws Error from sharp when the bytes are not a decodable image.
 */
export function fitImage(bytes: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(bytes)
    .resize(width, height, { fit: "cover", position: "centre" })
    .removeAlpha()
    .png()
    .toBuffer();
}

/** The bytes as a `data:image/png;base64,…` URI (what fal accepts as `image_url`). */
export function pngDataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString("base64")}`;
}
