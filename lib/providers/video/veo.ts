/**
 * The Veo clip providers, on Vertex AI (`veo`) and on the Gemini API (`veo-gemini`), through
 * `@google/genai`: `ai.models.generateVideos` starts a long-running operation
 * (predictLongRunning) with the still as inline bytes and the motion prompt; `check` rebuilds the
 * operation from its name and asks `ai.operations.getVideosOperation` (Vertex: fetchPredictOperation;
 * Gemini: GET the operation). Vertex returns the clip inline (no output bucket is set); the Gemini
 * API returns a file URI that is downloaded with the API key.
 * (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation,
 * https://ai.google.dev/gemini-api/docs/video)
 */
import { GenerateVideosOperation, type GoogleGenAI } from "@google/genai";
import { fromGoogleError, GEMINI_LABEL, operationFailure, VERTEX_LABEL } from "../clients/google";
import { ProviderError, transientFailure } from "../errors";
import { uint32Seed } from "../random";
import { reportUsage } from "../spend";
import { animateByPolling, readStill, saveClipSource, validateClipSeconds } from "./clip-jobs";
import { requestedClipSeconds } from "./durations";
import { CLIP_POLL_SECONDS } from "./poll-hints";
import type { ClipJobProvider, ClipJobState, ClipRequest } from "./types";

/** Veo operations take about a minute; checking every 10 s is plenty. */
export const VEO_POLL_INTERVAL_MS = CLIP_POLL_SECONDS.veo * 1000;

/** Options of `createVeoVideo`. */
export interface VeoOptions {
  client: GoogleGenAI;
  /** "vertex" (KADR_VIDEO=veo) or "gemini" (KADR_VIDEO=veo-gemini). */
  flavour: "vertex" | "gemini";
  /** Resolved model id, e.g. "veo-3.1-fast-generate-001" (see models.ts). */
  model: string;
  /** GEMINI_API_KEY, needed to download Gemini API file URIs. */
  apiKey?: string;
  /** Wait between checks (`pollIntervalSeconds`, the blocking `animateImage`), in ms (default 10 000). */
  pollIntervalMs?: number;
}

function providerName(options: VeoOptions): string {
  return options.flavour === "vertex" ? "veo" : "veo-gemini";
}

function label(options: VeoOptions): string {
  return options.flavour === "vertex" ? VERTEX_LABEL : GEMINI_LABEL;
}

async function submit(options: VeoOptions, request: ClipRequest): Promise<string> {
  validateClipSeconds(request.seconds);
  const { width, height } = request.profile;
  const durationSeconds = requestedClipSeconds(providerName(options), options.model, request.seconds);
  const still = await readStill(request.imagePath);
  const vertexOnly =
    options.flavour === "vertex" ? { generateAudio: false, seed: uint32Seed(request.seed) } : {};
  let name: string | undefined;
  try {
    const operation = await options.client.models.generateVideos({
      model: options.model,
      source: {
        prompt: request.motionPrompt,
        image: { imageBytes: still.bytes.toString("base64"), mimeType: still.mimeType },
      },
      config: {
        numberOfVideos: 1,
        durationSeconds,
        aspectRatio: height > width ? "9:16" : "16:9",
        resolution: Math.max(width, height) > 1280 ? "1080p" : "720p",
        ...vertexOnly,
      },
    });
    name = operation.name;
  } catch (err) {
    throw fromGoogleError(err, options.flavour);
  }
  if (!name) throw transientFailure(label(options), "the operation has no name");
  if (name.length > 512) throw transientFailure(label(options), "the operation name exceeds 512 characters");
  reportUsage({ model: options.model, quantities: { video_second: durationSeconds } });
  return name;
}

async function check(options: VeoOptions, providerJobId: string): Promise<ClipJobState> {
  const operation = new GenerateVideosOperation();
  operation.name = providerJobId;
  let latest: GenerateVideosOperation;
  try {
    latest = await options.client.operations.getVideosOperation({ operation });
  } catch (err) {
    throw fromGoogleError(err, options.flavour);
  }
  if (!latest.done) return { state: "pending" };
  if (latest.error)
    return {
      state: "failed",
      error: operationFailure(latest.error as { code?: number; message?: string }, options.flavour),
    };
  const response = latest.response;
  const video = response?.generatedVideos?.[0]?.video;
  if (video?.videoBytes) return { state: "done", source: { bytes: Buffer.from(video.videoBytes, "base64") } };
  if (video?.uri?.startsWith("http")) return { state: "done", source: { url: video.uri } };
  if ((response?.raiMediaFilteredCount ?? 0) > 0) {
    const reasons = response?.raiMediaFilteredReasons?.join("; ");
    return {
      state: "failed",
      error: new ProviderError({ kind: "safety", provider: label(options), reason: reasons || undefined }),
    };
  }
  return {
    state: "failed",
    error: transientFailure(label(options), `operation ${providerJobId} finished without a video`),
  };
}

/**
 * Creates a Veo video provider (`name: "veo"` on Vertex AI, `"veo-gemini"` on the Gemini API), a
 * `ClipJobProvider`: `submit` returns the operation name (≤ 512 characters), `check` maps
 * `done: false` → pending, a video → done (inline bytes or a file URL), `error` → failed
 * (`operationFailure`), an RAI-filtered result → failed with a safety error. Clips are requested at
 * 4, 6 or 8 s (`requestedClipSeconds`), 16:9 or 9:16, 720p (1080p for larger profiles), without
 * generated audio on Vertex (the Gemini API always adds audio, which Kadr replaces).
 *
 * @throws (from submit/check) RangeError on a non-positive length; ProviderError (`fromGoogleError`).
 */
export function createVeoVideo(options: VeoOptions): ClipJobProvider {
  const headers =
    options.flavour === "gemini" && options.apiKey ? { "x-goog-api-key": options.apiKey } : undefined;
  const provider: ClipJobProvider = {
    name: providerName(options),
    model: options.model,
    pollIntervalSeconds: (options.pollIntervalMs ?? VEO_POLL_INTERVAL_MS) / 1000,
    submit: (request) => submit(options, request),
    check: (id) => check(options, id),
    saveClip: (source, target) => saveClipSource(label(options), source, target, headers),
    animateImage: (input) =>
      animateByPolling(
        provider,
        input,
        { intervalMs: options.pollIntervalMs ?? VEO_POLL_INTERVAL_MS },
        label(options),
      ),
  };
  return provider;
}
