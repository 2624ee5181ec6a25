/**
 * Strict local fake of the fal.ai queue (https://docs.fal.ai/model-endpoints/queue; fal-js
 * libs/client/src/queue.ts, request.ts, response.ts) for the endpoints Kadr uses: FLUX
 * text-to-image (`fal-ai/flux/schnell`, `fal-ai/flux/dev`), FLUX.1 Kontext instruction edits
 * (`fal-ai/flux-pro/kontext[/max]`: ~1 MP at the requested aspect ratio, the input recoloured so
 * the edit shows), the Clarity upscaler (`fal-ai/clarity-upscaler`: the input resized by
 * `upscale_factor`) and Kling image-to-video (`fal-ai/kling-video/v2.1/{standard,pro}/image-to-video`).
 * Input schemas follow fal-js types/endpoints.ts (`FluxKontextInput`, `ClarityUpscalerInput`) and
 * the models' API pages; `image_url` must be an http(s) URL or an image data URI that decodes.
 *
 * The real client calls `https://queue.fal.run/...`; tests rewrite that origin to the fake with a
 * `requestMiddleware`. Routes: `POST /{endpoint}` → `{ request_id, status: "IN_QUEUE", … }`;
 * `GET /{owner}/{app}/requests/{id}/status` (the client strips the endpoint's subpath) walking
 * IN_QUEUE → IN_PROGRESS → COMPLETED; `GET /{owner}/{app}/requests/{id}` → the model output (with
 * `x-fal-request-id`); output files at `/files/…`. Requests need `Authorization: Key <FAL_KEY>`;
 * invalid input answers 422 `{"detail":[{loc,msg,type}]}`.
 */
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import { hash32 } from "../random";
import { fakeMp4, fakePng } from "./media";
import type { FakeReply, FakeRequest, ScriptedReply } from "./server";
import { FakeServer, jsonObject } from "./server";

/** Endpoints the fake serves, by owner/app → model ids. */
const FLUX = ["fal-ai/flux/schnell", "fal-ai/flux/dev"];
const KONTEXT = ["fal-ai/flux-pro/kontext", "fal-ai/flux-pro/kontext/max"];
const UPSCALERS = ["fal-ai/clarity-upscaler"];
const KONTEXT_ASPECT_RATIOS = ["21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"];
const KLING = [
  "fal-ai/kling-video/v2.1/standard/image-to-video",
  "fal-ai/kling-video/v2.1/pro/image-to-video",
];
const IMAGE_SIZES = [
  "square_hd",
  "square",
  "portrait_4_3",
  "portrait_16_9",
  "landscape_4_3",
  "landscape_16_9",
];

/** A Pydantic-style validation error item. */
interface DetailItem {
  loc: string[];
  msg: string;
  type: string;
}

/** How a queued request ends when scripted not to succeed. */
export type FalOutcome =
  /** The result GET answers 422 with a content_policy_violation detail. */
  | { kind: "content_policy" }
  /** FLUX answers normally but flags the image (`has_nsfw_concepts: [true]`). */
  | { kind: "nsfw" };

interface FakeRequestState {
  id: string;
  endpoint: string;
  input: Record<string, unknown>;
  polls: number;
  outcome?: FalOutcome;
  /** The decoded `image_url` of edit and upscale requests (a data URI), else undefined. */
  source?: Buffer;
  /** The output picture of edit and upscale requests, made once on first use. */
  picture?: Promise<{ png: Buffer; width: number; height: number }>;
}

/** Scripted error replies. */
export const FAL_ERRORS = {
  /** 503 runner_scheduling_failure. */
  unavailable: (match?: RegExp): ScriptedReply => ({
    match,
    status: 503,
    headers: { "x-fal-error-type": "runner_scheduling_failure" },
    json: { detail: "No runner available", error_type: "runner_scheduling_failure" },
  }),
  /** 403 (e.g. the key's account is locked: exhausted balance). */
  forbidden: (match?: RegExp): ScriptedReply => ({
    match,
    status: 403,
    json: {
      detail: "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.",
    },
  }),
};

function validation(items: DetailItem[]): FakeReply {
  return { status: 422, json: { detail: items } };
}

/** The fal fake. */
export class FalFake extends FakeServer {
  readonly key: string;
  pollsUntilDone: number;
  /** Outcomes applied to the next submitted requests, in order. */
  readonly nextOutcomes: FalOutcome[] = [];
  private readonly queue = new Map<string, FakeRequestState>();

  constructor(options: { key?: string; pollsUntilDone?: number } = {}) {
    super();
    this.key = options.key ?? "fal-key-id:fal-key-secret";
    this.pollsUntilDone = options.pollsUntilDone ?? 2;
  }

  protected override async handle(request: FakeRequest): Promise<FakeReply> {
    const file = /^\/files\/([0-9a-f-]+)\.(png|mp4)$/.exec(request.path);
    if (file && request.method === "GET") return this.file(file[1]!);
    if (request.headers.authorization !== `Key ${this.key}`)
      return { status: 401, json: { detail: "Invalid authentication credentials" } };
    const endpoint = request.path.slice(1);
    if (request.method === "POST" && [...FLUX, ...KONTEXT, ...UPSCALERS, ...KLING].includes(endpoint))
      return this.submit(request, endpoint);
    const queued = /^\/([^/]+\/[^/]+)\/requests\/([0-9a-f-]+)(\/status)?$/.exec(request.path);
    if (queued && request.method === "GET") {
      const state = this.queue.get(queued[2]!);
      if (!state || !(state.endpoint === queued[1] || state.endpoint.startsWith(`${queued[1]}/`)))
        return { status: 404, json: { detail: "Request not found" } };
      return queued[3] ? this.status(state) : this.result(state);
    }
    return { status: 404, json: { detail: "Not Found" } };
  }

  private urls(state: FakeRequestState) {
    const app = state.endpoint.split("/").slice(0, 2).join("/");
    const base = `https://queue.fal.run/${app}/requests/${state.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  }

  private async submit(request: FakeRequest, endpoint: string): Promise<FakeReply> {
    const input = jsonObject(request);
    if (!input) return validation([{ loc: ["body"], msg: "field required", type: "value_error.missing" }]);
    const problems = FLUX.includes(endpoint)
      ? fluxProblems(input)
      : KONTEXT.includes(endpoint)
        ? kontextProblems(input)
        : UPSCALERS.includes(endpoint)
          ? upscalerProblems(input)
          : klingProblems(input);
    let source: Buffer | null | undefined;
    if (problems.length === 0 && (KONTEXT.includes(endpoint) || UPSCALERS.includes(endpoint))) {
      source = await decodeImageUrl(String(input.image_url));
      if (source === null) {
        problems.push({
          loc: ["body", "image_url"],
          msg: "Could not load the image from the provided data URI",
          type: "image_load_error",
        });
      }
    }
    if (problems.length > 0) return validation(problems);
    const id = randomUUID();
    const state: FakeRequestState = {
      id,
      endpoint,
      input,
      polls: 0,
      outcome: this.nextOutcomes.shift(),
      source: source ?? undefined,
    };
    this.queue.set(id, state);
    return {
      status: 200,
      headers: { "x-fal-request-id": id },
      json: {
        request_id: id,
        gateway_request_id: id,
        status: "IN_QUEUE",
        queue_position: 0,
        ...this.urls(state),
      },
    };
  }

  private status(state: FakeRequestState): FakeReply {
    state.polls += 1;
    const common = { request_id: state.id, ...this.urls(state) };
    if (state.polls === 1 && this.pollsUntilDone > 0)
      return { status: 202, json: { ...common, status: "IN_QUEUE", queue_position: 0 } };
    if (state.polls <= this.pollsUntilDone)
      return { status: 202, json: { ...common, status: "IN_PROGRESS", logs: [] } };
    return {
      status: 200,
      json: { ...common, status: "COMPLETED", logs: [], metrics: { inference_time: 1.2 } },
    };
  }

  private async result(state: FakeRequestState): Promise<FakeReply> {
    if (state.polls <= this.pollsUntilDone)
      return { status: 400, json: { detail: "Request is still in progress" } };
    const headers = { "x-fal-request-id": state.id };
    if (state.outcome?.kind === "content_policy") {
      return {
        status: 422,
        headers,
        json: {
          detail: [
            {
              loc: ["body", "prompt"],
              msg: "The content could not be processed because it contained material flagged by a content checker.",
              type: "content_policy_violation",
            },
          ],
        },
      };
    }
    if (KONTEXT.includes(state.endpoint)) {
      const { width, height } = await this.picture(state);
      return {
        status: 200,
        headers,
        json: {
          images: [{ url: `${this.url}/files/${state.id}.png`, width, height, content_type: "image/png" }],
          timings: { inference: 2.1 },
          seed: state.input.seed ?? 1,
          has_nsfw_concepts: [state.outcome?.kind === "nsfw"],
          prompt: state.input.prompt,
        },
      };
    }
    if (UPSCALERS.includes(state.endpoint)) {
      const { png, width, height } = await this.picture(state);
      return {
        status: 200,
        headers,
        json: {
          image: {
            url: `${this.url}/files/${state.id}.png`,
            width,
            height,
            content_type: "image/png",
            file_name: "upscaled.png",
            file_size: png.length,
          },
          seed: state.input.seed ?? 1,
          timings: { inference: 3.4 },
        },
      };
    }
    if (FLUX.includes(state.endpoint)) {
      const { width, height } = fluxSize(state.input.image_size);
      return {
        status: 200,
        headers,
        json: {
          images: [{ url: `${this.url}/files/${state.id}.png`, width, height, content_type: "image/png" }],
          timings: { inference: 0.35 },
          seed: state.input.seed ?? 1,
          has_nsfw_concepts: [state.outcome?.kind === "nsfw"],
          prompt: state.input.prompt,
        },
      };
    }
    return {
      status: 200,
      headers,
      json: {
        video: {
          url: `${this.url}/files/${state.id}.mp4`,
          content_type: "video/mp4",
          file_name: "output.mp4",
          file_size: 1,
        },
      },
    };
  }

  /**
   * The output of an edit or upscale: Kontext answers ~1 MP (sides multiples of 32) at the
   * requested aspect ratio (the input's when none is given) with the input's hues rotated by a hash
   * of the prompt; Clarity resizes the input by `upscale_factor`. An http(s) `image_url` (which the
   * fake cannot fetch) stands for a 1024×768 picture.
   */
  private picture(state: FakeRequestState): Promise<{ png: Buffer; width: number; height: number }> {
    state.picture ??= (async () => {
      const source = state.source ?? (await fakePng(1024, 768, 5));
      const meta = await sharp(source).metadata();
      let width: number;
      let height: number;
      let image = sharp(source).removeAlpha();
      if (KONTEXT.includes(state.endpoint)) {
        const ratio = state.input.aspect_ratio
          ? String(state.input.aspect_ratio)
              .split(":")
              .map(Number)
              .reduce((w, h) => w / h)
          : meta.width! / meta.height!;
        width = Math.round(Math.sqrt(1e6 * ratio) / 32) * 32;
        height = Math.round(Math.sqrt(1e6 / ratio) / 32) * 32;
        image = image
          .resize(width, height, { fit: "cover" })
          .modulate({ hue: 90 + (hash32(String(state.input.prompt)) % 180) });
      } else {
        const factor = Number(state.input.upscale_factor ?? 2);
        width = Math.round(meta.width! * factor);
        height = Math.round(meta.height! * factor);
        image = image.resize(width, height, { fit: "fill" });
      }
      return { png: await image.png().toBuffer(), width, height };
    })();
    return state.picture;
  }

  private async file(id: string): Promise<FakeReply> {
    const state = this.queue.get(id);
    if (!state) return { status: 404, body: "Not Found" };
    if (KONTEXT.includes(state.endpoint) || UPSCALERS.includes(state.endpoint)) {
      return { status: 200, headers: { "content-type": "image/png" }, body: (await this.picture(state)).png };
    }
    if (FLUX.includes(state.endpoint)) {
      const { width, height } = fluxSize(state.input.image_size);
      return { status: 200, headers: { "content-type": "image/png" }, body: await fakePng(width, height, 3) };
    }
    return {
      status: 200,
      headers: { "content-type": "video/mp4" },
      body: await fakeMp4(Number(state.input.duration ?? 5), 1280, 720),
    };
  }
}

/** Pixel size of a FLUX `image_size` (enum presets per fal's docs, or `{ width, height }`). */
function fluxSize(value: unknown): { width: number; height: number } {
  if (typeof value === "object" && value !== null) return value as { width: number; height: number };
  const presets: Record<string, [number, number]> = {
    square_hd: [1024, 1024],
    square: [512, 512],
    portrait_4_3: [768, 1024],
    portrait_16_9: [576, 1024],
    landscape_4_3: [1024, 768],
    landscape_16_9: [1024, 576],
  };
  const [width, height] = presets[String(value ?? "landscape_4_3")] ?? [1024, 768];
  return { width, height };
}

function fluxProblems(input: Record<string, unknown>): DetailItem[] {
  const problems: DetailItem[] = [];
  if (typeof input.prompt !== "string" || input.prompt.trim() === "")
    problems.push({ loc: ["body", "prompt"], msg: "field required", type: "value_error.missing" });
  const size = input.image_size;
  if (size !== undefined) {
    const custom = typeof size === "object" && size !== null;
    const { width, height } = custom
      ? (size as { width: unknown; height: unknown })
      : { width: 0, height: 0 };
    const ok = custom
      ? [width, height].every((v) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 14142)
      : IMAGE_SIZES.includes(String(size));
    if (!ok)
      problems.push({
        loc: ["body", "image_size"],
        msg: "value is not a valid enumeration member or size",
        type: "type_error.enum",
      });
  }
  if (
    input.num_images !== undefined &&
    !(
      Number.isInteger(input.num_images) &&
      (input.num_images as number) >= 1 &&
      (input.num_images as number) <= 4
    )
  ) {
    problems.push({
      loc: ["body", "num_images"],
      msg: "ensure this value is between 1 and 4",
      type: "value_error.number",
    });
  }
  if (input.output_format !== undefined && !["jpeg", "png"].includes(String(input.output_format))) {
    problems.push({
      loc: ["body", "output_format"],
      msg: "value is not a valid enumeration member; permitted: 'jpeg', 'png'",
      type: "type_error.enum",
    });
  }
  if (input.seed !== undefined && !Number.isInteger(input.seed))
    problems.push({ loc: ["body", "seed"], msg: "value is not a valid integer", type: "type_error.integer" });
  return problems;
}

function klingProblems(input: Record<string, unknown>): DetailItem[] {
  const problems: DetailItem[] = [];
  if (typeof input.prompt !== "string" || input.prompt.trim() === "")
    problems.push({ loc: ["body", "prompt"], msg: "field required", type: "value_error.missing" });
  const image = input.image_url;
  if (
    typeof image !== "string" ||
    !(/^https:\/\//.test(image) || /^data:image\/(png|jpeg|webp);base64,/.test(image))
  ) {
    problems.push({
      loc: ["body", "image_url"],
      msg: "must be an https URL or an image data URI",
      type: "value_error",
    });
  }
  if (input.duration !== undefined && !["5", "10"].includes(input.duration as string)) {
    problems.push({
      loc: ["body", "duration"],
      msg: "value is not a valid enumeration member; permitted: '5', '10'",
      type: "type_error.enum",
    });
  }
  return problems;
}

/** Problems of a value that must be one of `values` (compared as given: "2" is not 2). */
function enumProblem(
  input: Record<string, unknown>,
  field: string,
  values: readonly unknown[],
): DetailItem[] {
  const value = input[field];
  if (value === undefined || values.includes(value)) return [];
  const permitted = values.map((v) => (typeof v === "string" ? `'${v}'` : String(v))).join(", ");
  return [
    {
      loc: ["body", field],
      msg: `value is not a valid enumeration member; permitted: ${permitted}`,
      type: "type_error.enum",
    },
  ];
}

/** Problems of an optional number that must lie in [min, max] (an integer when `integer`). */
function rangeProblem(
  input: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  integer = false,
): DetailItem[] {
  const value = input[field];
  if (value === undefined) return [];
  const ok = typeof value === "number" && (integer ? Number.isInteger(value) : Number.isFinite(value));
  if (ok && value >= min && value <= max) return [];
  return [
    {
      loc: ["body", field],
      msg: `ensure this value is ${integer ? "an integer " : ""}between ${min} and ${max}`,
      type: "value_error.number",
    },
  ];
}

/** `image_url`: required; an http(s) URL or an image data URI (decoding is checked on submit). */
function imageUrlProblem(input: Record<string, unknown>): DetailItem[] {
  const image = input.image_url;
  if (image === undefined)
    return [{ loc: ["body", "image_url"], msg: "field required", type: "value_error.missing" }];
  if (
    typeof image !== "string" ||
    !(/^https?:\/\//.test(image) || /^data:image\/(png|jpeg|webp);base64,/.test(image))
  ) {
    return [{ loc: ["body", "image_url"], msg: "must be a URL or an image data URI", type: "value_error" }];
  }
  return [];
}

/** The bytes of a data-URI `image_url` that sharp decodes; undefined for URLs; null when it does not decode. */
async function decodeImageUrl(url: string): Promise<Buffer | undefined | null> {
  const match = /^data:image\/(?:png|jpeg|webp);base64,(.*)$/s.exec(url);
  if (!match) return undefined;
  const bytes = Buffer.from(match[1]!, "base64");
  try {
    await sharp(bytes).metadata();
    return bytes;
  } catch {
    return null;
  }
}

/** FLUX.1 Kontext edit input (fal-js `FluxKontextInput`; https://fal.ai/models/fal-ai/flux-pro/kontext/api). */
function kontextProblems(input: Record<string, unknown>): DetailItem[] {
  const problems: DetailItem[] = [];
  if (typeof input.prompt !== "string" || input.prompt.trim() === "")
    problems.push({ loc: ["body", "prompt"], msg: "field required", type: "value_error.missing" });
  problems.push(
    ...imageUrlProblem(input),
    ...enumProblem(input, "aspect_ratio", KONTEXT_ASPECT_RATIOS),
    ...enumProblem(input, "output_format", ["jpeg", "png"]),
    ...enumProblem(input, "safety_tolerance", ["1", "2", "3", "4", "5", "6"]),
    ...rangeProblem(input, "num_images", 1, 4, true),
    ...rangeProblem(input, "guidance_scale", 1, 20),
    ...rangeProblem(input, "seed", 0, 2 ** 32 - 1, true),
  );
  return problems;
}

/** Clarity upscaler input (fal-js `ClarityUpscalerInput`; https://fal.ai/models/fal-ai/clarity-upscaler/api). */
function upscalerProblems(input: Record<string, unknown>): DetailItem[] {
  const problems = [
    ...imageUrlProblem(input),
    ...rangeProblem(input, "upscale_factor", 1, 4),
    ...rangeProblem(input, "creativity", 0, 1),
    ...rangeProblem(input, "resemblance", 0, 1),
    ...rangeProblem(input, "num_inference_steps", 4, 50, true),
  ];
  if (input.prompt !== undefined && typeof input.prompt !== "string")
    problems.push({ loc: ["body", "prompt"], msg: "str type expected", type: "type_error.str" });
  if (input.enable_safety_checker !== undefined && typeof input.enable_safety_checker !== "boolean") {
    problems.push({
      loc: ["body", "enable_safety_checker"],
      msg: "value could not be parsed to a boolean",
      type: "type_error.bool",
    });
  }
  return problems;
}

/** Starts a fal fake on 127.0.0.1; point the client at it with `falOriginRewrite(fake.url)`. */
export function startFalFake(options?: { key?: string; pollsUntilDone?: number }): Promise<FalFake> {
  return new FalFake(options).start();
}
