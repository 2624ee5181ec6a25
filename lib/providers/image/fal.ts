/**
 * The fal image provider: a FLUX endpoint (default `fal-ai/flux/schnell`) through fal's queue —
 * `client.subscribe` submits, polls the status and fetches the result
 * (https://fal.ai/models/fal-ai/flux/schnell/api). The image is requested at the exact size
 * (`image_size: { width, height }`), downloaded and fitted to it.
 */
import type { FalClient } from "@fal-ai/client";
import { FAL_LABEL, fromFalError } from "../clients/fal";
import { ProviderError, transientFailure } from "../errors";
import { uint32Seed } from "../random";
import { reportUsage } from "../spend";
import { fitImage, validateImageSize } from "./fit";
import type { ImageProvider, RenderImageInput } from "./types";

/** Options of `createFalImage`. */
export interface FalImageOptions {
  client: FalClient;
  /** Resolved endpoint id, e.g. "fal-ai/flux/schnell" (see models.ts). */
  model: string;
  /** Wait between status polls, in ms (default 500, fal's). */
  pollIntervalMs?: number;
}

interface FluxOutput {
  images?: Array<{ url?: string }>;
  has_nsfw_concepts?: boolean[];
}

async function renderImage(options: FalImageOptions, input: RenderImageInput): Promise<Buffer> {
  validateImageSize(input.width, input.height);
  let output: FluxOutput;
  try {
    const result = await options.client.subscribe(options.model, {
      input: {
        prompt: input.prompt,
        image_size: { width: input.width, height: input.height },
        num_images: 1,
        output_format: "png",
        enable_safety_checker: true,
        seed: uint32Seed(input.seed),
      },
      pollInterval: options.pollIntervalMs ?? 500,
    });
    output = result.data as FluxOutput;
  } catch (err) {
    throw fromFalError(err);
  }
  reportUsage({ model: options.model, quantities: { image: 1 } });
  if (output.has_nsfw_concepts?.[0]) {
    throw new ProviderError({ kind: "safety", provider: FAL_LABEL, reason: "has_nsfw_concepts" });
  }
  const url = output.images?.[0]?.url;
  if (!url) throw transientFailure(FAL_LABEL, "the result has no image");
  const response = await fetch(url).catch((err: unknown) => {
    throw transientFailure(FAL_LABEL, "image download failed", err);
  });
  if (!response.ok) throw transientFailure(FAL_LABEL, `image download failed (HTTP ${response.status})`);
  return fitImage(Buffer.from(await response.arrayBuffer()), input.width, input.height);
}

/**
 * Creates the fal image provider (`name: "fal"`). `renderImage` resolves to a PNG of exactly
 * `width × height`; an image FLUX's safety checker flags (`has_nsfw_concepts`) is a safety error.
 *
 * @throws (from renderImage) RangeError on invalid sizes; ProviderError (`fromFalError`).
 */
export function createFalImage(options: FalImageOptions): ImageProvider {
  return { name: "fal", model: options.model, renderImage: (input) => renderImage(options, input) };
}
