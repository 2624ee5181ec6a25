/**
 * Strict local fake of the Runway API (https://docs.dev.runwayml.com/api; sdk-node
 * src/resources/image-to-video.ts, text-to-image.ts, tasks.ts): `POST /v1/text_to_image`,
 * `POST /v1/image_to_video` → `{ id, estimatedCost }`; `GET /v1/tasks/{id}` walking
 * PENDING → (THROTTLED) → RUNNING → SUCCEEDED (or a scripted FAILED) one poll at a time;
 * `DELETE /v1/tasks/{id}`. Outputs are real PNG/MP4 files served by the fake at `/outputs/…`.
 *
 * Every request needs `Authorization: Bearer <apiKey>` and `X-Runway-Version: 2024-11-06`.
 * Errors use Runway's `{ "error": "...", "issues": [...] }` body.
 */
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import { fakeMp4, fakePng } from "./media";
import {
  bearerToken,
  type FakeReply,
  type FakeRequest,
  FakeServer,
  jsonObject,
  type ScriptedReply,
} from "./server";

/** The API version the SDK sends and the fake requires. */
export const RUNWAY_API_VERSION = "2024-11-06";

const IMAGE_RATIOS = [
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
];
const VIDEO_RATIOS = ["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"];
const MAX_DATA_URI_BYTES = 5 * 1024 * 1024;

/** How a task ends when it is scripted to fail. */
export interface RunwayTaskFailure {
  failure: string;
  failureCode: string;
}

interface FakeTask {
  id: string;
  kind: "image" | "video";
  createdAt: string;
  credits: number;
  polls: number;
  /** Output size in px and (video) duration in s. */
  width: number;
  height: number;
  seconds: number;
  failure?: RunwayTaskFailure;
  throttledPolls: number;
  deleted: boolean;
}

/** Options of `startRunwayFake`. */
export interface RunwayFakeOptions {
  /** The only accepted key (default "key_test_kadr"). */
  apiKey?: string;
  /** Polls a task answers PENDING/RUNNING before it finishes (default 2). */
  pollsUntilDone?: number;
}

/** Scripted error replies with Runway's bodies. */
export const RUNWAY_ERRORS = {
  /** 429 with a retry hint (daily generation limit or shedding load). */
  rateLimited: (retryAfterSeconds: number, match?: RegExp): ScriptedReply => ({
    match,
    status: 429,
    headers: { "retry-after": String(retryAfterSeconds) },
    json: { error: "You have exceeded the rate limit for this model. Please try again later." },
  }),
  /** 502/503 shedding load. */
  unavailable: (status = 503, match?: RegExp): ScriptedReply => ({
    match,
    status,
    json: { error: "The service is temporarily unavailable." },
  }),
  /** 401 invalid key. */
  unauthorized: (match?: RegExp): ScriptedReply => ({
    match,
    status: 401,
    json: { error: "Invalid API key." },
  }),
  /** A 200 whose body is not JSON. */
  malformed: (match?: RegExp): ScriptedReply => ({
    match,
    status: 200,
    headers: { "content-type": "application/json" },
    body: "<html>gateway</html>",
  }),
};

function badRequest(issues: Array<{ path: string[]; message: string; code?: string }>): FakeReply {
  return {
    status: 400,
    json: {
      error: "Invalid request body",
      issues: issues.map((i) => ({ code: i.code ?? "custom", path: i.path, message: i.message })),
    },
  };
}

/** The Runway fake; `tasks` holds every task by id. */
export class RunwayFake extends FakeServer {
  readonly apiKey: string;
  pollsUntilDone: number;
  /** Failures applied to the next created tasks, in order. */
  readonly nextFailures: RunwayTaskFailure[] = [];
  /** Polls the next created task spends THROTTLED before it starts. */
  nextThrottledPolls = 0;
  private readonly tasks = new Map<string, FakeTask>();

  constructor(options: RunwayFakeOptions = {}) {
    super();
    this.apiKey = options.apiKey ?? "key_test_kadr";
    this.pollsUntilDone = options.pollsUntilDone ?? 2;
  }

  protected override async handle(request: FakeRequest): Promise<FakeReply> {
    const output = /^\/outputs\/([0-9a-f-]+)\.(png|mp4)$/.exec(request.path);
    if (output && request.method === "GET") return this.output(output[1]!);
    if (bearerToken(request) !== this.apiKey) return { status: 401, json: { error: "Invalid API key." } };
    if (request.headers["x-runway-version"] !== RUNWAY_API_VERSION) {
      return { status: 400, json: { error: `Invalid API version. Supported: ${RUNWAY_API_VERSION}` } };
    }
    const route = `${request.method} ${request.path}`;
    if (route === "POST /v1/text_to_image") return this.textToImage(request);
    if (route === "POST /v1/image_to_video") return this.imageToVideo(request);
    const task = /^\/v1\/tasks\/([^/]+)$/.exec(request.path);
    if (task && request.method === "GET") return this.retrieve(task[1]!);
    if (task && request.method === "DELETE") {
      const found = this.tasks.get(task[1]!);
      if (!found || found.deleted) return { status: 404, json: { error: "Task not found." } };
      found.deleted = true;
      return { status: 204 };
    }
    if (["/v1/text_to_image", "/v1/image_to_video"].includes(request.path) || task) {
      return { status: 405, json: { error: "Method not allowed." } };
    }
    return { status: 404, json: { error: "Not found." } };
  }

  private commonIssues(
    body: Record<string, unknown>,
    ratios: string[],
  ): Array<{ path: string[]; message: string; code?: string }> {
    const issues: Array<{ path: string[]; message: string; code?: string }> = [];
    if (!ratios.includes(String(body.ratio))) {
      issues.push({
        path: ["ratio"],
        code: "invalid_enum_value",
        message: `Invalid enum value. Expected ${ratios.map((r) => `'${r}'`).join(" | ")}, received '${body.ratio}'`,
      });
    }
    if (body.promptText !== undefined) {
      if (typeof body.promptText !== "string" || body.promptText.trim() === "")
        issues.push({ path: ["promptText"], message: "String must contain at least 1 character(s)" });
      else if (body.promptText.length > 1000)
        issues.push({
          path: ["promptText"],
          code: "too_big",
          message: "String must contain at most 1000 character(s)",
        });
    }
    if (
      body.seed !== undefined &&
      !(Number.isInteger(body.seed) && (body.seed as number) >= 0 && (body.seed as number) <= 4294967295)
    ) {
      issues.push({ path: ["seed"], message: "Number must be an integer from 0 to 4294967295" });
    }
    return issues;
  }

  private createTask(kind: "image" | "video", ratio: string, seconds: number, credits: number): FakeReply {
    const [width, height] = ratio.split(":").map(Number);
    const id = randomUUID();
    const failure = this.nextFailures.shift();
    this.tasks.set(id, {
      id,
      kind,
      createdAt: new Date().toISOString(),
      credits,
      polls: 0,
      width: width!,
      height: height!,
      seconds,
      failure,
      throttledPolls: this.nextThrottledPolls,
      deleted: false,
    });
    this.nextThrottledPolls = 0;
    return { status: 200, json: { id, estimatedCost: { credits } } };
  }

  private textToImage(request: FakeRequest): FakeReply {
    const body = jsonObject(request);
    if (!body) return { status: 400, json: { error: "Invalid JSON body." } };
    const issues = this.commonIssues(body, IMAGE_RATIOS);
    if (!["gen4_image", "gen4_image_turbo"].includes(String(body.model))) {
      issues.push({
        path: ["model"],
        code: "invalid_enum_value",
        message: `Invalid enum value. Expected 'gen4_image' | 'gen4_image_turbo', received '${body.model}'`,
      });
    }
    if (typeof body.promptText !== "string") issues.push({ path: ["promptText"], message: "Required" });
    const refs = body.referenceImages;
    if (refs !== undefined && !(Array.isArray(refs) && refs.length <= 3))
      issues.push({ path: ["referenceImages"], message: "Array must contain at most 3 element(s)" });
    if (body.model === "gen4_image_turbo" && !(Array.isArray(refs) && refs.length >= 1)) {
      issues.push({
        path: ["referenceImages"],
        message: "gen4_image_turbo requires 1 to 3 reference images",
      });
    }
    if (issues.length > 0) return badRequest(issues);
    const pixels = String(body.ratio)
      .split(":")
      .map(Number)
      .reduce((a, b) => a * b, 1);
    return this.createTask("image", String(body.ratio), 0, pixels > 1_000_000 ? 8 : 5);
  }

  private async imageToVideo(request: FakeRequest): Promise<FakeReply> {
    const body = jsonObject(request);
    if (!body) return { status: 400, json: { error: "Invalid JSON body." } };
    const issues = this.commonIssues(body, VIDEO_RATIOS);
    const model = String(body.model);
    if (!["gen4_turbo", "gen4.5"].includes(model)) {
      issues.push({
        path: ["model"],
        code: "invalid_enum_value",
        message: `Invalid enum value. Expected 'gen4_turbo' | 'gen4.5', received '${model}'`,
      });
    }
    if (model === "gen4.5" && typeof body.promptText !== "string")
      issues.push({ path: ["promptText"], message: "Required" });
    const duration = body.duration ?? (model === "gen4_turbo" ? 10 : undefined);
    if (!(Number.isInteger(duration) && (duration as number) >= 2 && (duration as number) <= 10)) {
      issues.push({ path: ["duration"], message: "Duration must be an integer from 2 to 10 seconds" });
    }
    const imageIssue = await promptImageProblem(body.promptImage);
    if (imageIssue) issues.push({ path: ["promptImage"], message: imageIssue });
    if (issues.length > 0) return badRequest(issues);
    return this.createTask(
      "video",
      String(body.ratio),
      duration as number,
      (duration as number) * (model === "gen4.5" ? 12 : 5),
    );
  }

  private retrieve(id: string): FakeReply {
    const task = this.tasks.get(id);
    if (!task || task.deleted) return { status: 404, json: { error: "Task not found." } };
    task.polls += 1;
    const base = { id, createdAt: task.createdAt };
    if (task.polls <= task.throttledPolls)
      return {
        status: 200,
        json: { ...base, status: "THROTTLED", estimatedCost: { credits: task.credits } },
      };
    const step = task.polls - task.throttledPolls;
    if (step === 1)
      return { status: 200, json: { ...base, status: "PENDING", estimatedCost: { credits: task.credits } } };
    if (step < this.pollsUntilDone + 1) {
      return {
        status: 200,
        json: {
          ...base,
          status: "RUNNING",
          progress: step / (this.pollsUntilDone + 1),
          estimatedCost: { credits: task.credits },
        },
      };
    }
    if (task.failure)
      return { status: 200, json: { ...base, status: "FAILED", ...task.failure, cost: { credits: 0 } } };
    const ext = task.kind === "image" ? "png" : "mp4";
    return {
      status: 200,
      json: {
        ...base,
        status: "SUCCEEDED",
        output: [`${this.url}/outputs/${id}.${ext}?_jwt=fake`],
        cost: { credits: task.credits },
      },
    };
  }

  private async output(id: string): Promise<FakeReply> {
    const task = this.tasks.get(id);
    if (!task || task.failure || task.deleted) return { status: 404, body: "Not Found" };
    if (task.kind === "image") {
      return {
        status: 200,
        headers: { "content-type": "image/png" },
        body: await fakePng(task.width, task.height, 7),
      };
    }
    return {
      status: 200,
      headers: { "content-type": "video/mp4" },
      body: await fakeMp4(task.seconds, task.width, task.height),
    };
  }
}

/**
 * Why a `promptImage` is unacceptable (Runway: an HTTPS URL, or a data URI of at most 5 MB holding
 * a PNG/JPEG/WebP with an aspect ratio from 0.5 to 2), or undefined when it is fine.
 */
async function promptImageProblem(value: unknown): Promise<string | undefined> {
  const uri = Array.isArray(value) ? (value[0] as { uri?: unknown } | undefined)?.uri : value;
  if (typeof uri !== "string") return "Required";
  if (uri.startsWith("https://"))
    return uri.length > 2048 ? "URL must be at most 2048 characters" : undefined;
  const match = /^data:image\/(png|jpeg|webp);base64,(.+)$/s.exec(uri);
  if (!match) return "Must be an HTTPS URL, a runway:// URI or a data URI of a PNG, JPEG or WebP image";
  const bytes = Buffer.from(match[2]!, "base64");
  if (bytes.length > MAX_DATA_URI_BYTES) return "Data URIs must be at most 5MB";
  try {
    const { width = 0, height = 0, format } = await sharp(bytes).metadata();
    if (format !== match[1]) return `The data URI says image/${match[1]} but holds ${format}`;
    if (width / height < 0.5 || width / height > 2) return "The image aspect ratio must be between 0.5 and 2";
  } catch {
    return "The image could not be decoded";
  }
  return undefined;
}

/** Starts a Runway fake on 127.0.0.1; give the SDK `fake.url` as baseURL. */
export function startRunwayFake(options?: RunwayFakeOptions): Promise<RunwayFake> {
  return new RunwayFake(options).start();
}
