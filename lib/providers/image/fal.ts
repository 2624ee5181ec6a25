/**
 * The fal image provider, through fal's queue (`client.subscribe` submits, polls the status and
 * fetches the result; https://docs.fal.ai/model-endpoints/queue):
 *
 * - render: a FLUX endpoint (default `fal-ai/flux/schnell`, https://fal.ai/models/fal-ai/flux/schnell/api),
 *   requested at the exact size (`image_size: { width, height }`);
 * - edit: FLUX.1 Kontext (default `fal-ai/flux-pro/kontext`,
 *   https://fal.ai/models/fal-ai/flux-pro/kontext/api) with `prompt` = the instruction and
 *   `image_url` = the picture as a PNG data URI, at the nearest of Kontext's `aspect_ratio` values;
 *   Kontext answers ~1 megapixel, so when that is smaller than the frame (9:16 and 1:1 jobs at
 *   1080 px) the picture is upscaled first (below) instead of stretched;
 * - upscale: the Clarity upscaler (default `fal-ai/clarity-upscaler`,
 *   https://fal.ai/models/fal-ai/clarity-upscaler/api) with `upscale_factor` 1–4, billed per output
 *   megapixel.
 *
 * Every picture is downloaded and fitted to the exact size asked for.
 */
import type { FalClient } from "@fal-ai/client";
import { FAL_LABEL, fromFalError } from "../clients/fal";
import { ProviderError, transientFailure } from "../errors";
import { resolveModel } from "../models";
import { uint32Seed } from "../random";
import { reportUsage } from "../spend";
import { fitImage, pngDataUri, upscaledSize, validateEdit, validateImageSize } from "./fit";
import {
  type EditImageInput,
  type ImageProvider,
  MAX_UPSCALE_FACTOR,
  type RenderImageInput,
  type UpscaleImageInput,
} from "./types";

/** Options of `createFalImage`. */
export interface FalImageOptions {
  client: FalClient;
  /** Resolved render endpoint id, e.g. "fal-ai/flux/schnell" (see models.ts `image.fal`). */
  model: string;
  /** Resolved edit endpoint id (models.ts `image-edit.fal`); default "fal-ai/flux-pro/kontext". */
  editModel?: string;
  /** Resolved upscale endpoint id (models.ts `image-upscale.fal`); default "fal-ai/clarity-upscaler". */
  upscaleModel?: string;
  /** Wait between status polls, in ms (default 500, fal's). */
  pollIntervalMs?: number;
}

/** A fal image file (fal-js types `Image`). */
interface FalImageFile {
  url?: string;
  width?: number;
  height?: number;
}

/** Output of FLUX and Kontext: `images` plus the safety checker's verdict per image. */
interface FluxOutput {
  images?: FalImageFile[];
  has_nsfw_concepts?: boolean[];
}

/** Output of the Clarity upscaler (and fal's other single-image upscalers). */
interface UpscaleOutput {
  image?: FalImageFile;
}

/** Kontext's `aspect_ratio` values (fal-js `FluxKontextInput`). */
export const KONTEXT_ASPECT_RATIOS = ["21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"];

/** The Kontext aspect ratio closest to `width / height` (by log ratio). */
export function nearestAspectRatio(width: number, height: number): string {
  const target = Math.log(width / height);
  const distance = (ratio: string) => {
    const [w, h] = ratio.split(":").map(Number);
    return Math.abs(Math.log(w! / h!) - target);
  };
  return KONTEXT_ASPECT_RATIOS.reduce((best, r) => (distance(r) < distance(best) ? r : best));
}

/** Runs one queued request and returns its output, mapping failures with `fromFalError`. */
async function run<T>(
  options: FalImageOptions,
  endpoint: string,
  input: Record<string, unknown>,
): Promise<T> {
  try {
    const result = await options.client.subscribe(endpoint, {
      input,
      pollInterval: options.pollIntervalMs ?? 500,
    });
    return result.data as T;
  } catch (err) {
    throw fromFalError(err);
  }
}

/** The first image of a FLUX/Kontext output; a flagged image is a safety refusal. */
function firstImage(output: FluxOutput): FalImageFile {
  if (output.has_nsfw_concepts?.[0]) {
    throw new ProviderError({ kind: "safety", provider: FAL_LABEL, reason: "has_nsfw_concepts" });
  }
  const image = output.images?.[0];
  if (!image?.url) throw transientFailure(FAL_LABEL, "the result has no image");
  return image;
}

/** Downloads a result file (fal's CDN, or a data URI with `sync_mode`). */
async function download(url: string): Promise<Buffer> {
  const response = await fetch(url).catch((err: unknown) => {
    throw transientFailure(FAL_LABEL, "image download failed", err);
  });
  if (!response.ok) throw transientFailure(FAL_LABEL, `image download failed (HTTP ${response.status})`);
  return Buffer.from(await response.arrayBuffer());
}

async function renderImage(options: FalImageOptions, input: RenderImageInput): Promise<Buffer> {
  validateImageSize(input.width, input.height);
  const output = await run<FluxOutput>(options, options.model, {
    prompt: input.prompt,
    image_size: { width: input.width, height: input.height },
    num_images: 1,
    output_format: "png",
    enable_safety_checker: true,
    seed: uint32Seed(input.seed),
  });
  reportUsage({ model: options.model, quantities: { image: 1 } });
  const image = firstImage(output);
  return fitImage(await download(image.url!), input.width, input.height);
}

/** Smallest shortfall worth an upscale: below it, fitting (a ≤ 5 % stretch) is invisible. */
const UPSCALE_THRESHOLD = 1.05;

async function editImage(options: FalImageOptions, input: EditImageInput): Promise<Buffer> {
  const instruction = validateEdit(input);
  const output = await run<FluxOutput>(options, options.editModel!, {
    prompt: instruction,
    image_url: pngDataUri(input.image),
    aspect_ratio: nearestAspectRatio(input.width, input.height),
    num_images: 1,
    output_format: "png",
    safety_tolerance: "2",
    seed: uint32Seed(input.seed),
  });
  reportUsage({ model: options.editModel!, quantities: { image: 1 } });
  const image = firstImage(output);
  let edited = await download(image.url!);
  const { width = input.width, height = input.height } = image;
  // Cover-fitting needs the larger of the two ratios.
  const shortfall = Math.max(input.width / width, input.height / height);
  if (shortfall > UPSCALE_THRESHOLD) {
    edited = await upscaleImage(options, {
      image: edited,
      scale: Math.min(MAX_UPSCALE_FACTOR, Math.ceil(shortfall * 100) / 100),
    });
  }
  return fitImage(edited, input.width, input.height);
}

async function upscaleImage(options: FalImageOptions, input: UpscaleImageInput): Promise<Buffer> {
  const { width, height } = await upscaledSize(input);
  const output = await run<UpscaleOutput>(options, options.upscaleModel!, {
    image_url: pngDataUri(input.image),
    upscale_factor: input.scale,
    enable_safety_checker: true,
  });
  const image = output.image;
  if (!image?.url) throw transientFailure(FAL_LABEL, "the result has no image");
  const megapixels = ((image.width ?? width) * (image.height ?? height)) / 1e6;
  reportUsage({ model: options.upscaleModel!, quantities: { megapixel: megapixels } });
  return fitImage(await download(image.url), width, height);
}

/**
 * Creates the fal image provider (`name: "fal"`): `renderImage`, `editImage` and `upscaleImage`,
 * each resolving to a PNG of exactly the size asked for. An image the safety checker flags
 * (`has_nsfw_concepts`) or a `content_policy_violation` is a safety error.
 *
 * @throws (from each method) RangeError on invalid sizes, instructions or scales; ProviderError
 *   (`fromFalError`: 422 invalid, 401/403 auth naming FAL_KEY, 429/5xx retriable).
 */
export function createFalImage(given: FalImageOptions): ImageProvider {
  const options: FalImageOptions = {
    ...given,
    editModel: given.editModel ?? resolveModel("image-edit.fal"),
    upscaleModel: given.upscaleModel ?? resolveModel("image-upscale.fal"),
  };
  return {
    name: "fal",
    model: options.model,
    renderImage: (input) => renderImage(options, input),
    editImage: (input) => editImage(options, input),
    upscaleImage: (input) => upscaleImage(options, input),
  };
}
