/**
 * The Runway image provider: `POST /v1/text_to_image` with `gen4_image`, then the task is polled
 * (`GET /v1/tasks/{id}`) until it finishes and the output URL is downloaded
 * (https://docs.dev.runwayml.com/api/#tag/Start-generating/paths/~1v1~1text_to_image/post).
 * The picture is fitted (cover crop) to the exact requested size.
 */
import type RunwayML from "@runwayml/sdk";
import { closestRatio } from "../clients/ratios";
import {
  fromRunwayError,
  RUNWAY_LABEL,
  RUNWAY_POLL_INTERVAL_MS,
  runwayPrompt,
  taskFailure,
} from "../clients/runway";
import { ProviderError, transientFailure } from "../errors";
import { uint32Seed } from "../random";
import { reportUsage } from "../spend";
import { fitImage, validateImageSize } from "./fit";
import type { ImageProvider, RenderImageInput } from "./types";

/** Output ratios of gen4_image. */
export const RUNWAY_IMAGE_RATIOS = [
  "1024:1024",
  "1080:1080",
  "1168:880",
  "1360:768",
  "1440:1080",
  "1080:1440",
  "1808:768",
  "1920:1080",
  "1080:1920",
  "2112:912",
  "1280:720",
  "720:1280",
  "720:720",
  "960:720",
  "720:960",
  "1680:720",
] as const;

/** Options of `createRunwayImage`. */
export interface RunwayImageOptions {
  client: RunwayML;
  /** Resolved model id, e.g. "gen4_image" (see models.ts). */
  model: string;
  /** Wait between task polls in ms (default 5000, Runway's minimum). */
  pollIntervalMs?: number;
  /** Give up waiting after this long, in ms (default 10 minutes). */
  timeoutMs?: number;
}

async function renderImage(options: RunwayImageOptions, input: RenderImageInput): Promise<Buffer> {
  validateImageSize(input.width, input.height);
  const { client } = options;
  let taskId: string;
  try {
    const created = await client.textToImage.create({
      model: options.model as "gen4_image",
      promptText: runwayPrompt(input.prompt),
      ratio: closestRatio(RUNWAY_IMAGE_RATIOS, input.width, input.height) as "1280:720",
      seed: uint32Seed(input.seed),
    });
    taskId = created.id;
  } catch (err) {
    throw fromRunwayError(err);
  }
  reportUsage({ model: options.model, quantities: { image: 1 } });
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60 * 1000);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? RUNWAY_POLL_INTERVAL_MS));
    let task: Awaited<ReturnType<typeof client.tasks.retrieve>>;
    try {
      task = await client.tasks.retrieve(taskId);
    } catch (err) {
      throw fromRunwayError(err);
    }
    if (task.status === "SUCCEEDED") {
      const url = task.output[0];
      if (!url) throw transientFailure(RUNWAY_LABEL, `task ${taskId} succeeded without output`);
      const response = await fetch(url).catch((err: unknown) => {
        throw transientFailure(RUNWAY_LABEL, "image download failed", err);
      });
      if (!response.ok)
        throw transientFailure(RUNWAY_LABEL, `image download failed (HTTP ${response.status})`);
      return fitImage(Buffer.from(await response.arrayBuffer()), input.width, input.height);
    }
    if (task.status === "FAILED" || task.status === "CANCELLED") throw taskFailure(task);
    if (Date.now() >= deadline) {
      throw new ProviderError({
        kind: "retriable",
        provider: RUNWAY_LABEL,
        reason: `image task ${taskId} still ${task.status}`,
      });
    }
  }
}

/**
 * Creates the Runway image provider (`name: "runway"`). `renderImage` resolves to a PNG of exactly
 * `width × height` px; `caption` is ignored; string seeds are hashed into Runway's seed range.
 *
 * @throws (from renderImage) RangeError on invalid sizes; ProviderError from `fromRunwayError` and
 *   `taskFailure` (SAFETY.* → safety).
 */
export function createRunwayImage(options: RunwayImageOptions): ImageProvider {
  return { name: "runway", model: options.model, renderImage: (input) => renderImage(options, input) };
}
