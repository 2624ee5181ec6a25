/**
 * The fakes' own strictness, probed with raw HTTP (no SDK): what a real API refuses, they refuse
 * with the provider's status and body shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleFromSchema, type OpenAiFake, startOpenAiFake, strictSchemaProblem } from "./openai";
import { type RunwayFake, startRunwayFake } from "./runway";
import { type SupabaseFake, startSupabaseFake } from "./supabase";
import { startVeoFake, type VeoFake } from "./veo";

let openai: OpenAiFake;
let runway: RunwayFake;
let veo: VeoFake;
let supabase: SupabaseFake;

beforeAll(async () => {
  [openai, runway, veo, supabase] = await Promise.all([
    startOpenAiFake(),
    startRunwayFake(),
    startVeoFake(),
    startSupabaseFake(),
  ]);
});
afterAll(() => Promise.all([openai, runway, veo, supabase].map((f) => f.close())));

async function post(url: string, headers: Record<string, string>, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("strict schema checks", () => {
  it("requires additionalProperties: false and every property in required, recursively", () => {
    const ok = {
      type: "object",
      properties: {
        a: {
          type: "array",
          items: {
            type: "object",
            properties: { b: { type: "string" } },
            required: ["b"],
            additionalProperties: false,
          },
        },
      },
      required: ["a"],
      additionalProperties: false,
    };
    expect(strictSchemaProblem(ok)).toBeUndefined();
    expect(strictSchemaProblem({ ...ok, additionalProperties: true })).toMatch(
      /'additionalProperties' is required to be supplied and to be false/,
    );
    expect(strictSchemaProblem({ ...ok, required: [] })).toMatch(/Missing 'a'/);
    const nested = structuredClone(ok);
    nested.properties.a.items.required = [];
    expect(strictSchemaProblem(nested)).toMatch(/schema\.properties\.a\.items/);
    expect(exampleFromSchema({ ...ok, properties: { a: { ...ok.properties.a, minItems: 2 } } })).toEqual({
      a: [{ b: expect.stringMatching(/^b 1: /) }, { b: expect.stringMatching(/^b 2: /) }],
    });
  });
});

describe("OpenAI fake", () => {
  const auth = () => ({ authorization: `Bearer ${openai.apiKey}` });
  it("refuses a missing key, a non-strict schema, a bad image size and tts-1 instructions", async () => {
    expect((await post(`${openai.baseURL}/responses`, {}, {})).status).toBe(401);
    const loose = await post(`${openai.baseURL}/responses`, auth(), {
      model: "gpt-5-mini",
      input: "hi",
      text: {
        format: {
          type: "json_schema",
          name: "x",
          strict: true,
          schema: { type: "object", properties: { a: { type: "string" } } },
        },
      },
    });
    expect(loose).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_json_schema", param: "text.format.schema" } },
    });
    const size = await post(`${openai.baseURL}/images/generations`, auth(), {
      model: "gpt-image-1-mini",
      prompt: "x",
      size: "1280x720",
    });
    expect(size).toMatchObject({ status: 400, body: { error: { param: "size" } } });
    const odd = await post(`${openai.baseURL}/images/generations`, auth(), {
      model: "gpt-image-2",
      prompt: "x",
      size: "1080x1080",
    });
    expect(odd.body).toMatchObject({
      error: { message: "Invalid size '1080x1080': both edges must be multiples of 16." },
    });
    const speech = await post(
      `${openai.baseURL}/audio/speech`,
      { ...auth(), accept: "application/octet-stream" },
      { model: "tts-1", input: "hi", voice: "alloy", instructions: "x" },
    );
    expect(speech).toMatchObject({ status: 400, body: { error: { param: "instructions" } } });
  });
});

describe("Runway fake", () => {
  it("requires X-Runway-Version and validates ratio, duration and the prompt image", async () => {
    const headers = { authorization: `Bearer ${runway.apiKey}` };
    expect((await post(`${runway.url}/v1/image_to_video`, headers, {})).status).toBe(400);
    const bad = await post(
      `${runway.url}/v1/image_to_video`,
      { ...headers, "x-runway-version": "2024-11-06" },
      {
        model: "gen4_turbo",
        promptImage: "http://example.com/a.png",
        ratio: "1920:1080",
        duration: 11,
      },
    );
    expect(bad.status).toBe(400);
    expect((bad.body.issues as Array<{ path: string[] }>).map((i) => i.path[0])).toEqual([
      "ratio",
      "duration",
      "promptImage",
    ]);
  });
});

describe("Veo fake", () => {
  it("requires generateAudio on Vertex and rejects it on the Gemini API", async () => {
    const vertex = await post(
      `${veo.url}/v1/projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001:predictLongRunning`,
      { authorization: `Bearer ${veo.accessToken}` },
      { instances: [{ prompt: "x" }], parameters: { durationSeconds: 8 } },
    );
    expect(vertex).toMatchObject({
      status: 400,
      body: {
        error: {
          status: "INVALID_ARGUMENT",
          message: "parameters.generateAudio is required for Veo 3 models",
        },
      },
    });
    const gemini = await post(
      `${veo.url}/v1beta/models/veo-3.1-generate-preview:predictLongRunning`,
      { "x-goog-api-key": veo.apiKey },
      {
        instances: [{ prompt: "x" }],
        parameters: { generateAudio: true },
      },
    );
    expect(gemini.body).toMatchObject({
      error: { message: "parameters.generateAudio isn't supported by the Gemini API" },
    });
  });
});

describe("Supabase fake", () => {
  it("answers a duplicate upload without x-upsert with HTTP 400 and statusCode 409", async () => {
    const url = `${supabase.url}/storage/v1/object/kadr-media/a/b.txt`;
    const headers = {
      apikey: supabase.serviceRoleKey,
      authorization: `Bearer ${supabase.serviceRoleKey}`,
      "content-type": "text/plain",
    };
    expect((await fetch(url, { method: "POST", headers, body: "one" })).status).toBe(200);
    const again = await fetch(url, { method: "POST", headers, body: "two" });
    expect([again.status, await again.json()]).toEqual([
      400,
      {
        statusCode: "409",
        code: "KeyAlreadyExists",
        error: "Duplicate",
        message: "The resource already exists",
      },
    ]);
    expect(
      (await fetch(url, { method: "POST", headers: { ...headers, "x-upsert": "true" }, body: "two" })).status,
    ).toBe(200);
    expect(supabase.objects.get("kadr-media/a/b.txt")?.bytes.toString()).toBe("two");
  });
});
