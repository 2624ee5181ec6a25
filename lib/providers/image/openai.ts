/**
 * The OpenAI image provider: `POST /v1/images/generations` with a GPT image model
 * (https://platform.openai.com/docs/api-reference/images/create; openai-node src/resources/images.ts).
 * GPT image models always answer base64; the picture is then fitted (cover crop) to the exact
 * requested size with sharp, because the API only offers a few sizes (GPT image 2: any size with
 * edges that are multiples of 16). The API has no seed: `seed` and `caption` are ignored.
 */
import type OpenAI from "openai";
import { fromOpenAiError, OPENAI_LABEL } from "../clients/openai";
import { transientFailure } from "../errors";
import { reportUsage } from "../spend";
import { fitImage, validateImageSize } from "./fit";
import type { ImageProvider, RenderImageInput } from "./types";

/** Options of `createOpenAiImage`. */
export interface OpenAiImageOptions {
  client: OpenAI;
  /** Resolved model id, e.g. "gpt-image-2" (see models.ts). */
  model: string;
  /** Rendering quality (default "medium", the price table's basis). */
  quality?: "low" | "medium" | "high";
}

/** Smallest and largest pixel count GPT image 2 accepts for a custom size. */
const GPT_IMAGE_2_PIXELS = { min: 655_360, max: 8_294_400 };

function roundUpTo16(value: number): number {
  return Math.ceil(value / 16) * 16;
}

/**
 * The `size` to request for a `width × height` picture: for GPT image 2 the same aspect with edges
 * rounded up to multiples of 16 and scaled into its pixel range; for older GPT image models the
 * fixed size closest in aspect (1536x1024, 1024x1536 or 1024x1024).
 */
export function openAiImageSize(model: string, width: number, height: number): string {
  if (model.startsWith("gpt-image-2")) {
    const pixels = width * height;
    const scale =
      pixels < GPT_IMAGE_2_PIXELS.min
        ? Math.sqrt(GPT_IMAGE_2_PIXELS.min / pixels)
        : pixels > GPT_IMAGE_2_PIXELS.max
          ? Math.sqrt(GPT_IMAGE_2_PIXELS.max / pixels)
          : 1;
    let w = roundUpTo16(width * scale);
    let h = roundUpTo16(height * scale);
    if (w * h > GPT_IMAGE_2_PIXELS.max) {
      w -= 16;
      h -= 16;
    }
    return `${w}x${h}`;
  }
  const aspect = width / height;
  if (aspect > 1.2) return "1536x1024";
  if (aspect < 1 / 1.2) return "1024x1536";
  return "1024x1024";
}

async function renderImage(options: OpenAiImageOptions, input: RenderImageInput): Promise<Buffer> {
  validateImageSize(input.width, input.height);
  let result: Awaited<ReturnType<typeof options.client.images.generate>>;
  try {
    result = await options.client.images.generate({
      model: options.model,
      prompt: input.prompt,
      n: 1,
      size: openAiImageSize(options.model, input.width, input.height) as "1024x1024",
      quality: options.quality ?? "medium",
      output_format: "png",
      moderation: "auto",
    });
  } catch (err) {
    throw fromOpenAiError(err);
  }
  const b64 = result.data?.[0]?.b64_json;
  if (!b64) throw transientFailure(OPENAI_LABEL, "the image answer has no b64_json");
  reportUsage({ model: options.model, quantities: { image: 1 } });
  try {
    return await fitImage(Buffer.from(b64, "base64"), input.width, input.height);
  } catch (err) {
    throw transientFailure(OPENAI_LABEL, "the image could not be decoded", err);
  }
}

/** Creates the OpenAI image provider (`name: "openai"`); errors as `fromOpenAiError`. */
export function createOpenAiImage(options: OpenAiImageOptions): ImageProvider {
  return { name: "openai", model: options.model, renderImage: (input) => renderImage(options, input) };
}
