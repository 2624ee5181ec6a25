/**
 * Strict local fake of the OpenAI API endpoints Kadr uses, following the contracts the `openai`
 * SDK sends and parses (openai-node src/resources/responses/responses.ts, images.ts,
 * audio/speech.ts, src/core/error.ts; https://platform.openai.com/docs/api-reference):
 *
 * - `POST /v1/responses` with `text.format` json_schema structured outputs (strict schemas only);
 * - `POST /v1/images/generations` (GPT image models, always base64 PNG/JPEG/WebP);
 * - `POST /v1/audio/speech` (raw audio bytes: pcm, wav, mp3).
 *
 * Every request needs `Authorization: Bearer <apiKey>`. Errors use OpenAI's envelope
 * `{"error":{"message","type","param","code"}}`; `OPENAI_ERRORS` builds the scripted ones.
 */
import sharp from "sharp";
import { fakeMp3, fakePcm16, fakePng, fakeWav } from "./media";
import {
  bearerToken,
  type FakeReply,
  type FakeRequest,
  FakeServer,
  jsonObject,
  type ScriptedReply,
} from "./server";

/** What the Responses fake answers for one structured-output request. */
export type FakeModelAnswer =
  /** A JSON value, serialized as the output text. */
  | { json: unknown }
  /** Raw output text (invalid JSON, schema violations). */
  | { text: string }
  /** A refusal content part instead of output text. */
  | { refusal: string };

/** Context handed to a `FakeModel`. */
export interface FakeModelRequest {
  /** `text.format.name`. */
  schemaName: string;
  /** `text.format.schema` (JSON Schema). */
  schema: Record<string, unknown>;
  /** The request body as sent. */
  body: Record<string, unknown>;
}

/** Produces the model's answer; the default derives an example from the JSON schema. */
export type FakeModel = (request: FakeModelRequest) => FakeModelAnswer;

/** Options of `startOpenAiFake`. */
export interface OpenAiFakeOptions {
  /** The only accepted API key (default "sk-test-kadr"). */
  apiKey?: string;
  /** Model ids answered with 404 model_not_found, as after a retirement. */
  retiredModels?: string[];
}

/** Models the fake's Responses endpoint accepts. */
const FAKE_TEXT_MODELS = ["gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini"];
const IMAGE_MODELS = [
  "gpt-image-1",
  "gpt-image-1-mini",
  "gpt-image-1.5",
  "gpt-image-2",
  "gpt-image-2-2026-04-21",
];
const FIXED_IMAGE_SIZES = ["1024x1024", "1536x1024", "1024x1536", "auto"];
const SPEECH_MODELS = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"];
const VOICES = [
  "alloy",
  "ash",
  "ballad",
  "coral",
  "echo",
  "fable",
  "onyx",
  "nova",
  "sage",
  "shimmer",
  "verse",
  "marin",
  "cedar",
];
/** Sample rate of `pcm` speech, fixed by OpenAI (24 kHz, 16-bit LE mono). */
export const OPENAI_PCM_SAMPLE_RATE = 24_000;

/** An OpenAI error reply. */
export function openAiError(
  status: number,
  error: { message: string; type: string; code?: string | null; param?: string | null },
  headers?: Record<string, string>,
): FakeReply {
  return {
    status,
    headers,
    json: {
      error: {
        message: error.message,
        type: error.type,
        param: error.param ?? null,
        code: error.code ?? null,
      },
    },
  };
}

/** Scripted error replies with the bodies OpenAI sends (see shared/notes/providers.md §1.2). */
export const OPENAI_ERRORS = {
  /** 429 rate_limit_exceeded with `retry-after-ms` (and `retry-after` in whole seconds). */
  rateLimited: (retryAfterMs: number, match?: RegExp): ScriptedReply => ({
    match,
    ...openAiError(
      429,
      {
        message:
          "Rate limit reached for gpt-5-mini in organization org-fake on tokens per min (TPM). Please try again in 2s.",
        type: "tokens",
        code: "rate_limit_exceeded",
      },
      {
        "retry-after-ms": String(retryAfterMs),
        "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      },
    ),
  }),
  /** 429 insufficient_quota (billing): not worth retrying. */
  quotaExhausted: (match?: RegExp): ScriptedReply => ({
    match,
    ...openAiError(429, {
      message: "You exceeded your current quota, please check your plan and billing details.",
      type: "insufficient_quota",
      code: "insufficient_quota",
    }),
  }),
  /** 500 server_error. */
  serverError: (match?: RegExp): ScriptedReply => ({
    match,
    ...openAiError(500, {
      message: "The server had an error while processing your request.",
      type: "server_error",
    }),
  }),
  /** 401 invalid_api_key (the message echoes a masked key, as OpenAI does). */
  invalidKey: (match?: RegExp): ScriptedReply => ({
    match,
    ...openAiError(401, {
      message:
        "Incorrect API key provided: sk-fake***. You can find your API key at https://platform.openai.com/account/api-keys.",
      type: "invalid_request_error",
      code: "invalid_api_key",
    }),
  }),
  /** 403 unsupported_country_region_territory / project without access. */
  forbidden: (match?: RegExp): ScriptedReply => ({
    match,
    ...openAiError(403, {
      message: "Project proj_fake does not have access to model gpt-image-2",
      type: "invalid_request_error",
      code: "model_not_found",
    }),
  }),
  /** 400 moderation_blocked from the image endpoint. */
  moderationBlocked: (match?: RegExp): ScriptedReply => ({
    match,
    ...openAiError(400, {
      message:
        "Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID req_fake.",
      type: "image_generation_user_error",
      code: "moderation_blocked",
    }),
  }),
  /** A 200 whose body is not JSON. */
  malformed: (match?: RegExp): ScriptedReply => ({
    match,
    status: 200,
    headers: { "content-type": "application/json" },
    body: '{"id": "resp_broken", "output": [',
  }),
};

type Problem = { message: string; param: string | null; code?: string };

function invalid(problem: Problem): FakeReply {
  return openAiError(400, { ...problem, type: "invalid_request_error", code: problem.code ?? null });
}

function notFoundModel(model: string): FakeReply {
  return openAiError(404, {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: "invalid_request_error",
    code: "model_not_found",
  });
}

/**
 * Why a JSON schema is not valid for strict structured outputs (every object lists every property
 * in `required` and sets `additionalProperties: false`), or undefined when it is.
 */
export function strictSchemaProblem(schema: unknown, at = "schema"): string | undefined {
  if (schema === null || typeof schema !== "object") return `${at} must be an object`;
  const s = schema as Record<string, unknown>;
  if (s.type === "object") {
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    if (s.additionalProperties !== false)
      return `In context=${at}, 'additionalProperties' is required to be supplied and to be false.`;
    const required = Array.isArray(s.required) ? s.required : [];
    const missing = Object.keys(properties).filter((key) => !required.includes(key));
    if (missing.length > 0)
      return `In context=${at}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`;
    for (const [key, value] of Object.entries(properties)) {
      const problem = strictSchemaProblem(value, `${at}.properties.${key}`);
      if (problem) return problem;
    }
  }
  if (s.type === "array") return strictSchemaProblem(s.items, `${at}.items`);
  for (const keyword of ["anyOf", "oneOf"] as const) {
    const options = s[keyword];
    if (Array.isArray(options)) {
      for (const [i, option] of options.entries()) {
        const problem = strictSchemaProblem(option, `${at}.${keyword}[${i}]`);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

const SAMPLE_WORDS =
  "light falls across the quiet valley while the river keeps moving toward the distant sea";

/**
 * An example value for a JSON schema: objects with every property, arrays of `minItems` items (at
 * least 1), `index` integers numbered by position, strings of a dozen words, enums' first value.
 */
export function exampleFromSchema(schema: unknown, key = "", position = 0): unknown {
  const s = (schema ?? {}) as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.anyOf)) return exampleFromSchema(s.anyOf[0], key, position);
  switch (s.type) {
    case "object":
      return Object.fromEntries(
        Object.entries((s.properties ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k,
          exampleFromSchema(v, k, position),
        ]),
      );
    case "array": {
      const count = Math.max(1, Number(s.minItems ?? 1));
      return Array.from({ length: count }, (_, i) => exampleFromSchema(s.items, key, i));
    }
    case "integer":
      return key === "index" ? position : 1;
    case "number":
      return 1;
    case "boolean":
      return true;
    default:
      return `${key} ${position + 1}: ${SAMPLE_WORDS}`;
  }
}

const defaultModel: FakeModel = ({ schema }) => ({ json: exampleFromSchema(schema) });

/** Estimated tokens of a text (4 characters per token, OpenAI's rule of thumb). */
function tokensOf(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The OpenAI fake: a `FakeServer` with its API key and a replaceable model. */
export class OpenAiFake extends FakeServer {
  readonly apiKey: string;
  /** Answers structured-output requests; tests replace it. */
  model: FakeModel = defaultModel;
  private readonly retired: Set<string>;
  private counter = 0;

  constructor(options: OpenAiFakeOptions = {}) {
    super();
    this.apiKey = options.apiKey ?? "sk-test-kadr";
    this.retired = new Set(options.retiredModels ?? []);
  }

  /** The base URL to give the SDK (`<origin>/v1`). */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  protected override async handle(request: FakeRequest): Promise<FakeReply> {
    if (bearerToken(request) !== this.apiKey) return OPENAI_ERRORS.invalidKey();
    const route = `${request.method} ${request.path}`;
    const body = jsonObject(request);
    const known = ["POST /v1/responses", "POST /v1/images/generations", "POST /v1/audio/speech"];
    if (!known.includes(route)) {
      return openAiError(404, { message: `Invalid URL (${route})`, type: "invalid_request_error" });
    }
    if (!body) {
      return invalid({
        message:
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
        param: null,
      });
    }
    const model = body.model;
    if (typeof model !== "string" || model === "")
      return invalid({ message: "Missing required parameter: 'model'.", param: "model" });
    if (this.retired.has(model)) return notFoundModel(model);
    this.counter += 1;
    if (route === "POST /v1/responses") return this.responses(body, model);
    if (route === "POST /v1/images/generations") return this.images(body, model);
    return this.speech(request, body, model);
  }

  private responses(body: Record<string, unknown>, model: string): FakeReply {
    if (!FAKE_TEXT_MODELS.includes(model)) return notFoundModel(model);
    const input = body.input;
    if (typeof input !== "string" && !Array.isArray(input)) {
      return invalid({ message: "Missing required parameter: 'input'.", param: "input" });
    }
    if (Array.isArray(input)) {
      for (const [i, item] of input.entries()) {
        const message = item as Record<string, unknown>;
        if (!["system", "developer", "user", "assistant"].includes(String(message?.role))) {
          return invalid({
            message: `Invalid value: '${message?.role}'. Supported values are: 'system', 'developer', 'user' and 'assistant'.`,
            param: `input[${i}].role`,
          });
        }
        if (typeof message.content !== "string" && !Array.isArray(message.content)) {
          return invalid({ message: "Invalid type for 'content'.", param: `input[${i}].content` });
        }
      }
    }
    const maxOutputTokens = body.max_output_tokens;
    if (
      maxOutputTokens !== undefined &&
      !(Number.isInteger(maxOutputTokens) && (maxOutputTokens as number) >= 16)
    ) {
      return invalid({
        message: "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16.",
        param: "max_output_tokens",
        code: "integer_below_min_value",
      });
    }
    const format = ((body.text ?? {}) as Record<string, unknown>).format as
      | Record<string, unknown>
      | undefined;
    if (format?.type !== "json_schema") {
      return invalid({
        message: "This fake only answers json_schema structured outputs (text.format.type).",
        param: "text.format.type",
      });
    }
    const name = format.name;
    if (typeof name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      return invalid({
        message:
          "Invalid 'text.format.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
        param: "text.format.name",
        code: "invalid_value",
      });
    }
    if (format.strict !== true)
      return invalid({ message: "Kadr requires strict structured outputs.", param: "text.format.strict" });
    const problem = strictSchemaProblem(format.schema);
    if (problem) {
      return invalid({
        message: `Invalid schema for response_format '${name}': ${problem}`,
        param: "text.format.schema",
        code: "invalid_json_schema",
      });
    }
    const answer = this.model({ schemaName: name, schema: format.schema as Record<string, unknown>, body });
    let text = "json" in answer ? JSON.stringify(answer.json) : "text" in answer ? answer.text : "";
    let status = "completed";
    let incomplete: { reason: string } | null = null;
    if (typeof maxOutputTokens === "number" && tokensOf(text) > maxOutputTokens) {
      status = "incomplete";
      incomplete = { reason: "max_output_tokens" };
      text = text.slice(0, maxOutputTokens * 4);
    }
    const content =
      "refusal" in answer
        ? [{ type: "refusal", refusal: answer.refusal }]
        : [{ type: "output_text", text, annotations: [], logprobs: [] }];
    const inputTokens = tokensOf(JSON.stringify(body.input));
    const outputTokens = tokensOf(text);
    const created = Math.floor(Date.now() / 1000);
    return {
      status: 200,
      headers: { "x-request-id": `req_fake_${this.counter}` },
      json: {
        id: `resp_fake_${this.counter}`,
        object: "response",
        created_at: created,
        status,
        completed_at: status === "completed" ? created : null,
        error: null,
        incomplete_details: incomplete,
        instructions: null,
        max_output_tokens: maxOutputTokens ?? null,
        model: `${model}-2025-08-07`,
        output: [
          { type: "reasoning", id: `rs_fake_${this.counter}`, summary: [] },
          { type: "message", id: `msg_fake_${this.counter}`, status, role: "assistant", content },
        ],
        parallel_tool_calls: true,
        temperature: 1,
        tool_choice: "auto",
        tools: [],
        top_p: 1,
        text: { format },
        usage: {
          input_tokens: inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inputTokens + outputTokens,
        },
        metadata: {},
      },
    };
  }

  private async images(body: Record<string, unknown>, model: string): Promise<FakeReply> {
    if (!IMAGE_MODELS.includes(model)) return notFoundModel(model);
    const prompt = body.prompt;
    if (typeof prompt !== "string" || prompt.trim() === "")
      return invalid({ message: "Missing required parameter: 'prompt'.", param: "prompt" });
    if (prompt.length > 32_000)
      return invalid({
        message: "Invalid 'prompt': string too long. Expected a string with maximum length 32000.",
        param: "prompt",
        code: "string_above_max_length",
      });
    if ("response_format" in body)
      return invalid({
        message: "Unknown parameter: 'response_format'.",
        param: "response_format",
        code: "unknown_parameter",
      });
    const n = body.n ?? 1;
    if (!(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 10))
      return invalid({ message: "Invalid 'n': expected an integer from 1 to 10.", param: "n" });
    const enums: Array<[string, string[]]> = [
      ["quality", ["low", "medium", "high", "auto"]],
      ["output_format", ["png", "jpeg", "webp"]],
      ["background", ["transparent", "opaque", "auto"]],
      ["moderation", ["low", "auto"]],
    ];
    for (const [param, allowed] of enums) {
      if (body[param] !== undefined && !allowed.includes(String(body[param]))) {
        return invalid({
          message: `Invalid value: '${body[param]}'. Supported values are: ${allowed.map((v) => `'${v}'`).join(", ")}.`,
          param,
          code: "invalid_value",
        });
      }
    }
    const size = String(body.size ?? "auto");
    const sizeProblem = imageSizeProblem(model, size);
    if (sizeProblem) return invalid({ message: sizeProblem, param: "size", code: "invalid_value" });
    const [width, height] = size === "auto" ? [1024, 1024] : size.split("x").map(Number);
    const format = String(body.output_format ?? "png");
    const png = await fakePng(width!, height!, this.counter);
    const bytes =
      format === "png"
        ? png
        : await sharp(png)
            .toFormat(format as "jpeg" | "webp")
            .toBuffer();
    return {
      status: 200,
      headers: { "x-request-id": `req_fake_${this.counter}` },
      json: {
        created: Math.floor(Date.now() / 1000),
        background: "opaque",
        output_format: format,
        quality: body.quality ?? "auto",
        size: `${width}x${height}`,
        data: Array.from({ length: n as number }, () => ({ b64_json: bytes.toString("base64") })),
        usage: {
          input_tokens: tokensOf(prompt),
          input_tokens_details: { text_tokens: tokensOf(prompt), image_tokens: 0 },
          output_tokens: 1056,
          output_tokens_details: { text_tokens: 0, image_tokens: 1056 },
          total_tokens: tokensOf(prompt) + 1056,
        },
      },
    };
  }

  private async speech(
    request: FakeRequest,
    body: Record<string, unknown>,
    model: string,
  ): Promise<FakeReply> {
    if (!SPEECH_MODELS.includes(model)) return notFoundModel(model);
    if (request.headers.accept !== "application/octet-stream") {
      return invalid({
        message: "The speech endpoint answers audio bytes (Accept: application/octet-stream).",
        param: null,
      });
    }
    const input = body.input;
    if (typeof input !== "string" || input.trim() === "")
      return invalid({ message: "Missing required parameter: 'input'.", param: "input" });
    if (input.length > 4096)
      return invalid({
        message: "Invalid 'input': string too long. Expected a string with maximum length 4096.",
        param: "input",
        code: "string_above_max_length",
      });
    const voice = body.voice;
    const customVoice =
      typeof voice === "object" && voice !== null && typeof (voice as { id?: unknown }).id === "string";
    if (!customVoice && !VOICES.includes(String(voice))) {
      return invalid({
        message: `Invalid value: '${String(voice)}'. Supported values are: ${VOICES.map((v) => `'${v}'`).join(", ")}.`,
        param: "voice",
        code: "invalid_value",
      });
    }
    if (body.instructions !== undefined && model.startsWith("tts-1")) {
      return invalid({
        message: "Instructions are not supported for tts-1 and tts-1-hd.",
        param: "instructions",
      });
    }
    const speed = Number(body.speed ?? 1);
    if (!(speed >= 0.25 && speed <= 4))
      return invalid({ message: "Invalid 'speed': expected a number from 0.25 to 4.0.", param: "speed" });
    const format = String(body.response_format ?? "mp3");
    const seconds = Math.max(0.5, Math.round((input.split(/\s+/).length / 2.5 / speed) * 100) / 100);
    const audio: Record<string, () => Promise<[Buffer, string]>> = {
      pcm: async () => [fakePcm16(seconds, OPENAI_PCM_SAMPLE_RATE), "audio/pcm"],
      wav: async () => [fakeWav(seconds, OPENAI_PCM_SAMPLE_RATE), "audio/wav"],
      mp3: async () => [await fakeMp3(seconds), "audio/mpeg"],
    };
    const make = audio[format];
    if (!make) {
      const supported = ["mp3", "opus", "aac", "flac", "wav", "pcm"];
      if (supported.includes(format))
        return invalid({ message: `The fake does not produce ${format} audio.`, param: "response_format" });
      return invalid({
        message: `Invalid value: '${format}'. Supported values are: ${supported.map((v) => `'${v}'`).join(", ")}.`,
        param: "response_format",
        code: "invalid_value",
      });
    }
    const [bytes, contentType] = await make();
    return {
      status: 200,
      headers: { "content-type": contentType, "x-request-id": `req_fake_${this.counter}` },
      body: bytes,
    };
  }
}

/**
 * Why `size` is not valid for `model`: GPT image 1.x accept 1024x1024, 1536x1024, 1024x1536 or
 * auto; GPT image 2 also any WxH with both edges multiples of 16, edges ≤ 3840, ratio ≤ 3:1 and
 * 655 360–8 294 400 pixels in total.
 */
function imageSizeProblem(model: string, size: string): string | undefined {
  if (FIXED_IMAGE_SIZES.includes(size)) return undefined;
  const fixed = `Invalid value: '${size}'. Supported values are: ${FIXED_IMAGE_SIZES.map((s) => `'${s}'`).join(", ")}.`;
  if (!model.startsWith("gpt-image-2")) return fixed;
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) return fixed;
  const width = Number(match[1]);
  const height = Number(match[2]);
  const pixels = width * height;
  if (width % 16 !== 0 || height % 16 !== 0)
    return `Invalid size '${size}': both edges must be multiples of 16.`;
  if (Math.max(width, height) > 3840) return `Invalid size '${size}': the longest edge must be at most 3840.`;
  if (Math.max(width, height) / Math.min(width, height) > 3)
    return `Invalid size '${size}': the aspect ratio must be between 1:3 and 3:1.`;
  if (pixels < 655_360 || pixels > 8_294_400)
    return `Invalid size '${size}': the image must have between 655360 and 8294400 pixels.`;
  return undefined;
}

/** Starts an OpenAI fake on 127.0.0.1. */
export function startOpenAiFake(options?: OpenAiFakeOptions): Promise<OpenAiFake> {
  return new OpenAiFake(options).start();
}
