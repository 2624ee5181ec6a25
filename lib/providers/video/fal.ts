/**
 * The fal clip provider: a Kling image-to-video endpoint (default
 * `fal-ai/kling-video/v2.1/standard/image-to-video`) through fal's queue — `queue.submit` with the
 * still as a data URI, `queue.status` to check, `queue.result` for the video URL
 * (https://fal.ai/models/fal-ai/kling-video/v2.1/standard/image-to-video/api). The provider job id
 * is `<endpoint>#<request id>`, because status and result need both.
 */
import type { FalClient } from "@fal-ai/client";
import { FAL_LABEL, fromFalError } from "../clients/fal";
import { ProviderError, transientFailure } from "../errors";
import { reportUsage } from "../spend";
import { animateByPolling, saveClipSource, stillDataUri, validateClipSeconds } from "./clip-jobs";
import { requestedClipSeconds } from "./durations";
import { CLIP_POLL_SECONDS } from "./poll-hints";
import type { ClipJobProvider, ClipJobState, ClipRequest } from "./types";

/** Options of `createFalVideo`. */
export interface FalVideoOptions {
  client: FalClient;
  /** Resolved endpoint id (see models.ts). */
  model: string;
  /** Wait between checks, in ms (default 5000): `pollIntervalSeconds` and the blocking `animateImage`. */
  pollIntervalMs?: number;
}

/** fal's queue gives no pacing hint; a Kling clip takes a minute or more, so every 5 s is plenty. */
export const FAL_POLL_INTERVAL_MS = CLIP_POLL_SECONDS.fal * 1000;

const NEGATIVE_PROMPT = "blur, distort, low quality, text, watermark";

async function submit(options: FalVideoOptions, request: ClipRequest): Promise<string> {
  validateClipSeconds(request.seconds);
  const duration = requestedClipSeconds("fal", options.model, request.seconds);
  let requestId: string;
  try {
    const queued = await options.client.queue.submit(options.model, {
      input: {
        prompt: request.motionPrompt,
        image_url: await stillDataUri(request.imagePath),
        duration: String(duration),
        negative_prompt: NEGATIVE_PROMPT,
      },
    });
    requestId = queued.request_id;
  } catch (err) {
    throw fromFalError(err);
  }
  reportUsage({ model: options.model, quantities: { video_second: duration } });
  return `${options.model}#${requestId}`;
}

function parseJobId(providerJobId: string): { endpoint: string; requestId: string } {
  const at = providerJobId.lastIndexOf("#");
  if (at <= 0) throw new RangeError(`not a fal job id: ${providerJobId}`);
  return { endpoint: providerJobId.slice(0, at), requestId: providerJobId.slice(at + 1) };
}

async function check(options: FalVideoOptions, providerJobId: string): Promise<ClipJobState> {
  const { endpoint, requestId } = parseJobId(providerJobId);
  try {
    const status = await options.client.queue.status(endpoint, { requestId });
    if (status.status !== "COMPLETED") return { state: "pending" };
  } catch (err) {
    throw fromFalError(err);
  }
  let data: { video?: { url?: string } };
  try {
    data = (await options.client.queue.result(endpoint, { requestId })).data as { video?: { url?: string } };
  } catch (err) {
    const mapped = fromFalError(err);
    if (mapped instanceof ProviderError && (mapped.kind === "invalid" || mapped.kind === "safety")) {
      return { state: "failed", error: mapped };
    }
    throw mapped;
  }
  const url = data.video?.url;
  if (!url)
    return {
      state: "failed",
      error: transientFailure(FAL_LABEL, `request ${requestId} finished without a video`),
    };
  return { state: "done", source: { url } };
}

/**
 * Creates the fal video provider (`name: "fal"`), a `ClipJobProvider`: `submit` returns
 * `<endpoint>#<request id>`; `check` maps IN_QUEUE/IN_PROGRESS → pending, COMPLETED → done (the
 * result's video URL), a failed result → failed (content policy → safety, 422 → invalid). Clips
 * are requested at 5 or 10 s (`requestedClipSeconds`).
 *
 * @throws (from submit/check) RangeError on a non-positive length or a foreign job id;
 *   ProviderError (`fromFalError`).
 */
export function createFalVideo(options: FalVideoOptions): ClipJobProvider {
  const provider: ClipJobProvider = {
    name: "fal",
    model: options.model,
    pollIntervalSeconds: (options.pollIntervalMs ?? FAL_POLL_INTERVAL_MS) / 1000,
    submit: (request) => submit(options, request),
    check: (id) => check(options, id),
    saveClip: (source, target) => saveClipSource(FAL_LABEL, source, target),
    animateImage: (input) =>
      animateByPolling(
        provider,
        input,
        { intervalMs: options.pollIntervalMs ?? FAL_POLL_INTERVAL_MS },
        FAL_LABEL,
      ),
  };
  return provider;
}
