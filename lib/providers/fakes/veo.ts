/**
 * Strict local fake of Google Veo, in both flavours `@google/genai` speaks
 * (js-genai src/models.ts, src/operations.ts, src/converters/_models_converters.ts):
 *
 * - Vertex AI (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation):
 *   `POST /{v1|v1beta1}/projects/{p}/locations/{l}/publishers/google/models/{model}:predictLongRunning`
 *   → `{ name }`; `POST …/models/{model}:fetchPredictOperation` `{ operationName }` → the operation;
 *   `Authorization: Bearer <OAuth access token>`; clips inline as `bytesBase64Encoded`.
 * - Gemini API (https://ai.google.dev/gemini-api/docs/video): `POST /v1beta/models/{model}:predictLongRunning`
 *   with `x-goog-api-key`; `GET /v1beta/{operation name}`; clips as file URIs served at
 *   `GET /v1beta/files/{id}:download?alt=media` (API key required).
 *
 * Operations finish after `pollsUntilDone` polls. Errors use the google.rpc envelope
 * `{"error":{"code","message","status"}}`; `VEO_ERRORS` builds the scripted ones.
 */
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import { fakeMp4 } from "./media";
import {
  bearerToken,
  type FakeReply,
  type FakeRequest,
  FakeServer,
  jsonObject,
  type ScriptedReply,
} from "./server";

/** A google.rpc error reply. */
export function googleError(code: number, status: string, message: string, details?: unknown[]): FakeReply {
  return { status: code, json: { error: { code, message, status, ...(details ? { details } : {}) } } };
}

/** Scripted error replies with Google's bodies (shared/notes/providers.md §3.2). */
export const VEO_ERRORS = {
  /** 429 RESOURCE_EXHAUSTED, with a RetryInfo delay when `retryDelaySeconds` is given. */
  quotaExceeded: (retryDelaySeconds?: number, match?: RegExp): ScriptedReply => ({
    match,
    ...googleError(
      429,
      "RESOURCE_EXHAUSTED",
      "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: veo-3.1-generate. Please submit a quota increase request.",
      retryDelaySeconds === undefined
        ? undefined
        : [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryDelaySeconds}s` }],
    ),
  }),
  /** 403 PERMISSION_DENIED (IAM). */
  permissionDenied: (match?: RegExp): ScriptedReply => ({
    match,
    ...googleError(
      403,
      "PERMISSION_DENIED",
      "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
      [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "IAM_PERMISSION_DENIED",
          domain: "aiplatform.googleapis.com",
        },
      ],
    ),
  }),
  /** 500 INTERNAL. */
  internal: (match?: RegExp): ScriptedReply => ({
    match,
    ...googleError(500, "INTERNAL", "Internal error encountered."),
  }),
  /** A 200 whose body is not JSON. */
  malformed: (match?: RegExp): ScriptedReply => ({
    match,
    status: 200,
    headers: { "content-type": "application/json" },
    body: '{"name": ',
  }),
};

/** How an operation ends when scripted not to succeed. */
export type VeoOutcome =
  | { kind: "error"; code: number; message: string }
  | { kind: "filtered"; reasons: string[] };

interface FakeOperation {
  name: string;
  flavour: "vertex" | "gemini";
  polls: number;
  width: number;
  height: number;
  seconds: number;
  audio: boolean;
  outcome?: VeoOutcome;
}

/** Options of `startVeoFake`. */
export interface VeoFakeOptions {
  /** Access token Vertex requests must carry (default "ya29.fake-token"). */
  accessToken?: string;
  /** Gemini API key (default "gemini-test-key"). */
  apiKey?: string;
  /** Polls an operation answers `done: false` (default 1). */
  pollsUntilDone?: number;
}

const VERTEX_MODELS = ["veo-3.1-generate-001", "veo-3.1-fast-generate-001"];
const GEMINI_MODELS = ["veo-3.1-generate-preview", "veo-3.1-fast-generate-preview"];
const RETIRED_MODELS = ["veo-2.0-generate-001", "veo-3.0-generate-001", "veo-3.0-fast-generate-001"];

/** The Veo fake; `project`/`location` are taken from the request path. */
export class VeoFake extends FakeServer {
  readonly accessToken: string;
  readonly apiKey: string;
  pollsUntilDone: number;
  /** Outcomes applied to the next started operations, in order. */
  readonly nextOutcomes: VeoOutcome[] = [];
  private readonly operations = new Map<string, FakeOperation>();

  constructor(options: VeoFakeOptions = {}) {
    super();
    this.accessToken = options.accessToken ?? "ya29.fake-token";
    this.apiKey = options.apiKey ?? "gemini-test-key";
    this.pollsUntilDone = options.pollsUntilDone ?? 1;
  }

  protected override async handle(request: FakeRequest): Promise<FakeReply> {
    const vertex =
      /^\/(v1|v1beta1)\/(projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/:]+)):(predictLongRunning|fetchPredictOperation)$/.exec(
        request.path,
      );
    if (vertex) {
      if (bearerToken(request) !== this.accessToken) {
        return googleError(
          401,
          "UNAUTHENTICATED",
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        );
      }
      if (request.method !== "POST") return googleError(405, "METHOD_NOT_ALLOWED", "Method not allowed");
      const [, , resource, model, verb] = vertex as unknown as [string, string, string, string, string];
      if (RETIRED_MODELS.includes(model) || !VERTEX_MODELS.includes(model)) {
        return googleError(404, "NOT_FOUND", `Publisher Model \`${resource}\` not found.`);
      }
      return verb === "predictLongRunning"
        ? this.startOperation(request, "vertex", resource)
        : this.fetchOperation(request, resource);
    }
    const gemini = /^\/v1beta\/(models\/([^/:]+)):predictLongRunning$/.exec(request.path);
    const geminiOperation = /^\/v1beta\/(models\/[^/]+\/operations\/[^/]+)$/.exec(request.path);
    const download = /^\/v1beta\/files\/([^/:]+):download$/.exec(request.path);
    if (gemini || geminiOperation || download) {
      if (request.headers["x-goog-api-key"] !== this.apiKey) {
        return googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
            domain: "googleapis.com",
          },
        ]);
      }
      if (gemini && request.method === "POST") {
        const model = gemini[2]!;
        if (!GEMINI_MODELS.includes(model))
          return googleError(404, "NOT_FOUND", `models/${model} is not found for API version v1beta.`);
        return this.startOperation(request, "gemini", gemini[1]!);
      }
      if (geminiOperation && request.method === "GET") return this.operationReply(geminiOperation[1]!);
      if (download && request.method === "GET" && request.query.get("alt") === "media")
        return this.download(download[1]!);
    }
    return googleError(404, "NOT_FOUND", `The requested URL ${request.path} was not found on this server.`);
  }

  private async startOperation(
    request: FakeRequest,
    flavour: "vertex" | "gemini",
    resource: string,
  ): Promise<FakeReply> {
    const body = jsonObject(request);
    const problem = body ? await requestProblem(body, flavour) : "Invalid JSON payload received.";
    if (problem) return googleError(400, "INVALID_ARGUMENT", problem);
    const parameters = (body!.parameters ?? {}) as Record<string, unknown>;
    const portrait = parameters.aspectRatio === "9:16";
    const long = parameters.resolution === "1080p" ? 1920 : 1280;
    const short = parameters.resolution === "1080p" ? 1080 : 720;
    const name = `${resource}/operations/${randomUUID()}`;
    this.operations.set(name, {
      name,
      flavour,
      polls: 0,
      width: portrait ? short : long,
      height: portrait ? long : short,
      seconds: Number(parameters.durationSeconds ?? 8),
      audio: flavour === "gemini" || parameters.generateAudio === true,
      outcome: this.nextOutcomes.shift(),
    });
    return { status: 200, json: { name } };
  }

  private fetchOperation(request: FakeRequest, resource: string): Promise<FakeReply> | FakeReply {
    const operationName = jsonObject(request)?.operationName;
    if (typeof operationName !== "string")
      return googleError(400, "INVALID_ARGUMENT", "operationName is required");
    if (!operationName.startsWith(`${resource}/operations/`)) {
      return googleError(400, "INVALID_ARGUMENT", "operationName does not belong to the model in the URL");
    }
    return this.operationReply(operationName);
  }

  private async operationReply(name: string): Promise<FakeReply> {
    const operation = this.operations.get(name);
    if (!operation) return googleError(404, "NOT_FOUND", `Operation ${name} not found.`);
    operation.polls += 1;
    if (operation.polls <= this.pollsUntilDone) return { status: 200, json: { name, done: false } };
    const { outcome } = operation;
    if (outcome?.kind === "error")
      return {
        status: 200,
        json: { name, done: true, error: { code: outcome.code, message: outcome.message } },
      };
    const filtered = outcome?.kind === "filtered";
    const rai = filtered
      ? { raiMediaFilteredCount: 1, raiMediaFilteredReasons: outcome.reasons }
      : { raiMediaFilteredCount: 0 };
    if (operation.flavour === "vertex") {
      const videos = filtered
        ? []
        : [
            {
              bytesBase64Encoded: (
                await fakeMp4(operation.seconds, operation.width, operation.height, operation.audio)
              ).toString("base64"),
              mimeType: "video/mp4",
            },
          ];
      return {
        status: 200,
        json: {
          name,
          done: true,
          response: {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            ...rai,
            videos,
          },
        },
      };
    }
    const fileId = name.split("/").pop()!;
    const samples = filtered
      ? []
      : [{ video: { uri: `${this.url}/v1beta/files/${fileId}:download?alt=media` } }];
    return {
      status: 200,
      json: {
        name,
        done: true,
        response: {
          "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
          generateVideoResponse: { generatedSamples: samples, ...rai },
        },
      },
    };
  }

  private async download(fileId: string): Promise<FakeReply> {
    const operation = [...this.operations.values()].find((o) => o.name.endsWith(`/operations/${fileId}`));
    if (!operation || operation.polls <= this.pollsUntilDone)
      return googleError(404, "NOT_FOUND", "File not found.");
    return {
      status: 200,
      headers: { "content-type": "video/mp4" },
      body: await fakeMp4(operation.seconds, operation.width, operation.height),
    };
  }
}

/**
 * Why a predictLongRunning body is invalid: one instance with a prompt and an image given as
 * `bytesBase64Encoded` (Vertex also `gcsUri`) with a PNG/JPEG `mimeType`; `durationSeconds` 4, 6
 * or 8; `aspectRatio` 16:9 | 9:16; `resolution` 720p | 1080p; `sampleCount` 1–4; `personGeneration`
 * dont_allow | allow_adult | allow_all; Vertex requires the boolean `generateAudio` of Veo 3, the
 * Gemini API rejects it (and `seed`, `storageUri`).
 */
async function requestProblem(
  body: Record<string, unknown>,
  flavour: "vertex" | "gemini",
): Promise<string | undefined> {
  const instances = body.instances;
  if (!Array.isArray(instances) || instances.length !== 1) return "instances must hold exactly one instance";
  const instance = instances[0] as Record<string, unknown>;
  if (typeof instance.prompt !== "string" || instance.prompt.trim() === "")
    return "instances[0].prompt is required";
  const image = instance.image as Record<string, unknown> | undefined;
  if (image) {
    const sources = ["bytesBase64Encoded", "gcsUri"].filter((k) => image[k] !== undefined);
    if (sources.length !== 1) return "instances[0].image needs exactly one of bytesBase64Encoded, gcsUri";
    if (flavour === "gemini" && image.gcsUri !== undefined)
      return "gcsUri is not supported in the Gemini API";
    if (!["image/png", "image/jpeg"].includes(String(image.mimeType)))
      return "instances[0].image.mimeType must be image/png or image/jpeg";
    if (typeof image.bytesBase64Encoded === "string") {
      try {
        const { format } = await sharp(Buffer.from(image.bytesBase64Encoded, "base64")).metadata();
        if (`image/${format}` !== image.mimeType)
          return `instances[0].image is ${format}, not ${image.mimeType}`;
      } catch {
        return "instances[0].image.bytesBase64Encoded is not a decodable image";
      }
    }
  }
  const parameters = (body.parameters ?? {}) as Record<string, unknown>;
  const checks: Array<[string, unknown[]]> = [
    ["durationSeconds", [4, 6, 8]],
    ["aspectRatio", ["16:9", "9:16"]],
    ["resolution", ["720p", "1080p"]],
    ["sampleCount", [1, 2, 3, 4]],
    ["personGeneration", ["dont_allow", "allow_adult", "allow_all"]],
  ];
  for (const [key, allowed] of checks) {
    if (parameters[key] !== undefined && !allowed.includes(parameters[key])) {
      return `parameters.${key}: ${JSON.stringify(parameters[key])} is not one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
    }
  }
  if (flavour === "vertex" && typeof parameters.generateAudio !== "boolean")
    return "parameters.generateAudio is required for Veo 3 models";
  if (flavour === "gemini") {
    for (const key of ["generateAudio", "seed", "storageUri"]) {
      if (parameters[key] !== undefined) return `parameters.${key} isn't supported by the Gemini API`;
    }
  }
  if (
    parameters.seed !== undefined &&
    !(
      Number.isInteger(parameters.seed) &&
      (parameters.seed as number) >= 0 &&
      (parameters.seed as number) <= 4294967295
    )
  ) {
    return "parameters.seed must be an unsigned 32-bit integer";
  }
  return undefined;
}

/** Starts a Veo fake on 127.0.0.1; give `@google/genai` `fake.url` as `httpOptions.baseUrl`. */
export function startVeoFake(options?: VeoFakeOptions): Promise<VeoFake> {
  return new VeoFake(options).start();
}
