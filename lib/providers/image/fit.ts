/**
 * Shared by the remote image providers: size validation (the same bounds as the local renderer)
 * and fitting a provider's picture to the exact requested size.
 */
import sharp from "sharp";
import { MAX_IMAGE_SIDE, MIN_IMAGE_SIDE } from "./local";

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
