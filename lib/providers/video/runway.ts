/**
 * The Runway clip provider: `POST /v1/image_to_video` (gen4_turbo / gen4.5) with the still as a
 * data URI and the motion prompt as `promptText`; `GET /v1/tasks/{id}` to check; the output URL is
 * downloaded and normalized to the job's profile
 * (https://docs.dev.runwayml.com/api/#tag/Start-generating/paths/~1v1~1image_to_video/post).
 * Credits are charged when the task is created, so usage is reported by `submit`.
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
import { transientFailure } from "../errors";
import { uint32Seed } from "../random";
import { reportUsage } from "../spend";
import { animateByPolling, saveClipSource, stillDataUri, validateClipSeconds } from "./clip-jobs";
import { requestedClipSeconds } from "./durations";
import type { ClipJobProvider, ClipJobState, ClipRequest } from "./types";

/** Output ratios of gen4_turbo and gen4.5. */
export const RUNWAY_VIDEO_RATIOS = [
  "1280:720",
  "720:1280",
  "1104:832",
  "832:1104",
  "960:960",
  "1584:672",
] as const;

/** Options of `createRunwayVideo`. */
export interface RunwayVideoOptions {
  client: RunwayML;
  /** Resolved model id, e.g. "gen4_turbo" (see models.ts). */
  model: string;
  /** Wait between checks (`pollIntervalSeconds`, the blocking `animateImage`), in ms (default 5000). */
  pollIntervalMs?: number;
}

async function submit(options: RunwayVideoOptions, request: ClipRequest): Promise<string> {
  validateClipSeconds(request.seconds);
  const duration = requestedClipSeconds("runway", options.model, request.seconds);
  let id: string;
  try {
    const created = await options.client.imageToVideo.create({
      model: options.model as "gen4_turbo",
      promptImage: await stillDataUri(request.imagePath),
      promptText: runwayPrompt(request.motionPrompt),
      ratio: closestRatio(RUNWAY_VIDEO_RATIOS, request.profile.width, request.profile.height) as "1280:720",
      duration,
      seed: uint32Seed(request.seed),
    });
    id = created.id;
  } catch (err) {
    throw fromRunwayError(err);
  }
  reportUsage({ model: options.model, quantities: { video_second: duration } });
  return id;
}

async function check(options: RunwayVideoOptions, providerJobId: string): Promise<ClipJobState> {
  let task: Awaited<ReturnType<typeof options.client.tasks.retrieve>>;
  try {
    task = await options.client.tasks.retrieve(providerJobId);
  } catch (err) {
    throw fromRunwayError(err);
  }
  switch (task.status) {
    case "SUCCEEDED": {
      const url = task.output[0];
      if (!url)
        return {
          state: "failed",
          error: transientFailure(RUNWAY_LABEL, `task ${providerJobId} succeeded without output`),
        };
      return { state: "done", source: { url } };
    }
    case "FAILED":
    case "CANCELLED":
      return { state: "failed", error: taskFailure(task) };
    case "RUNNING":
      return { state: "pending", progress: task.progress };
    default:
      return { state: "pending" };
  }
}

/**
 * Creates the Runway video provider (`name: "runway"`), a `ClipJobProvider`: `submit` returns the
 * task id (a UUID), `check` maps PENDING/THROTTLED/RUNNING → pending, SUCCEEDED → done (output URL),
 * FAILED/CANCELLED → failed (`taskFailure`: SAFETY.* → safety); `saveClip` downloads and normalizes.
 * The clip is requested at `requestedClipSeconds` (2–10 s) in the ratio closest to the profile.
 *
 * @throws (from submit/check) RangeError on a non-positive length; ProviderError (`fromRunwayError`).
 */
export function createRunwayVideo(options: RunwayVideoOptions): ClipJobProvider {
  const provider: ClipJobProvider = {
    name: "runway",
    model: options.model,
    pollIntervalSeconds: (options.pollIntervalMs ?? RUNWAY_POLL_INTERVAL_MS) / 1000,
    submit: (request) => submit(options, request),
    check: (id) => check(options, id),
    saveClip: (source, target) => saveClipSource(RUNWAY_LABEL, source, target),
    animateImage: (input) =>
      animateByPolling(
        provider,
        input,
        { intervalMs: options.pollIntervalMs ?? RUNWAY_POLL_INTERVAL_MS },
        RUNWAY_LABEL,
      ),
  };
  return provider;
}
