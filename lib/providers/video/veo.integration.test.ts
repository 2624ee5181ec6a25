import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { OAuth2Client } from "google-auth-library";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { probeMedia } from "@/lib/media/probe";
import type { VideoProfile } from "@/lib/media/profile";
import { createGeminiClient, createVertexClient } from "../clients/google";
import { fakePng } from "../fakes/media";
import { startVeoFake, VEO_ERRORS, type VeoFake } from "../fakes/veo";
import { createVeoVideo } from "./veo";

const PROFILE: VideoProfile = {
  width: 320,
  height: 180,
  fps: 24,
  audioSampleRate: 48_000,
  audioChannels: 2,
  gopSeconds: 1,
};
const PORTRAIT: VideoProfile = { ...PROFILE, width: 180, height: 320 };

let fake: VeoFake;
let dir: string;
let imagePath: string;

beforeAll(async () => {
  fake = await startVeoFake();
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-veo-"));
  imagePath = path.join(dir, "still.png");
  await fs.promises.writeFile(imagePath, await fakePng(320, 180));
  REQUEST.imagePath = imagePath;
});
afterAll(async () => {
  await fake.close();
  await fs.promises.rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
});

/** An OAuth2 client holding a fixed, unexpired access token: no token endpoint is ever called. */
function authClient(token = fake.accessToken): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

function vertex(options: { token?: string; model?: string } = {}) {
  const client = createVertexClient({
    project: "kadr-test",
    location: "us-central1",
    authClient: authClient(options.token),
    baseUrl: fake.url,
  });
  return createVeoVideo({
    client,
    flavour: "vertex",
    model: options.model ?? "veo-3.1-fast-generate-001",
    pollIntervalMs: 5,
  });
}

function gemini(apiKey = fake.apiKey) {
  const client = createGeminiClient({ apiKey, baseUrl: fake.url });
  return createVeoVideo({
    client,
    flavour: "gemini",
    model: "veo-3.1-fast-generate-preview",
    apiKey,
    pollIntervalMs: 5,
  });
}

const REQUEST = {
  imagePath: "",
  seconds: 5,
  profile: PROFILE,
  motionPrompt: "slow zoom in on the harbour",
  seed: 11,
};

describe("Veo on Vertex AI against the fake", () => {
  it("starts predictLongRunning with the still inline, then fetchPredictOperation until done", async () => {
    const veo = vertex();
    const name = await veo.submit(REQUEST);
    expect(name).toMatch(
      /^projects\/kadr-test\/locations\/us-central1\/publishers\/google\/models\/veo-3\.1-fast-generate-001\/operations\/[0-9a-f-]+$/,
    );
    const start = fake.requests[0]!;
    expect(start.path).toBe(
      "/v1beta1/projects/kadr-test/locations/us-central1/publishers/google/models/veo-3.1-fast-generate-001:predictLongRunning",
    );
    expect(start.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    expect(start.json).toEqual({
      instances: [
        {
          prompt: "slow zoom in on the harbour",
          image: {
            bytesBase64Encoded: (await fs.promises.readFile(imagePath)).toString("base64"),
            mimeType: "image/png",
          },
        },
      ],
      parameters: {
        sampleCount: 1,
        durationSeconds: 6,
        aspectRatio: "16:9",
        resolution: "720p",
        generateAudio: false,
        seed: 11,
      },
    });
    expect(await veo.check(name)).toEqual({ state: "pending" });
    const done = await veo.check(name);
    expect(fake.requests[2]!.json).toEqual({ operationName: name });
    expect(fake.requests[2]!.path).toMatch(/models\/veo-3\.1-fast-generate-001:fetchPredictOperation$/);
    if (done.state !== "done" || !("bytes" in done.source))
      throw new Error(`expected inline bytes, got ${JSON.stringify(done)}`);
    const outPath = path.join(dir, "vertex.mp4");
    await veo.saveClip(done.source, { outPath, seconds: 5, profile: PROFILE });
    const probe = await probeMedia(outPath);
    expect(probe.durationSeconds).toBeCloseTo(5, 1);
    expect(probe.streams.find((s) => s.type === "video")).toMatchObject({ width: 320, height: 180 });
  });

  it("asks for 9:16 for portrait profiles and animates end to end", async () => {
    const outPath = path.join(dir, "portrait.mp4");
    await vertex().animateImage({ ...REQUEST, profile: PORTRAIT, seconds: 3.5, outPath });
    expect(
      (fake.requests[0]!.json as { parameters: { aspectRatio: string; durationSeconds: number } }).parameters,
    ).toMatchObject({
      aspectRatio: "9:16",
      durationSeconds: 4,
    });
    expect(await probeMedia(outPath)).toMatchObject({ durationSeconds: expect.closeTo(3.5, 1) });
  });

  it("reports RAI-filtered results as safety failures and failed operations by their code", async () => {
    fake.nextOutcomes.push(
      {
        kind: "filtered",
        reasons: ["Unable to generate videos due to child safety concerns. Support codes: 17301594"],
      },
      { kind: "error", code: 13, message: "Internal error encountered." },
      { kind: "error", code: 3, message: "Invalid image: the image is too small." },
    );
    const veo = vertex();
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      const name = await veo.submit(REQUEST);
      await veo.check(name);
      outcomes.push(await veo.check(name));
    }
    expect(outcomes.map((o) => (o.state === "failed" ? [o.error.kind, o.error.message] : o.state))).toEqual([
      [
        "safety",
        "Blocked by the provider's safety filter (Google Veo (Vertex AI): Unable to generate videos due to child safety concerns. Support codes: 17301594)",
      ],
      ["retriable", "Google Veo (Vertex AI) is temporarily unavailable: Internal error encountered."],
      ["invalid", "Google Veo (Vertex AI) rejected the request: Invalid image: the image is too small."],
    ]);
  });

  it("maps a bad token and IAM denial to auth errors naming the credentials setting", async () => {
    await expect(vertex({ token: "ya29.expired" }).submit(REQUEST)).rejects.toMatchObject({
      kind: "auth",
      status: 401,
      message:
        "Google Veo (Vertex AI) refused Kadr's access (HTTP 401): UNAUTHENTICATED; check GOOGLE_APPLICATION_CREDENTIALS (a service account with roles/aiplatform.user on GOOGLE_CLOUD_PROJECT)",
    });
    fake.script(VEO_ERRORS.permissionDenied());
    await expect(vertex().submit(REQUEST)).rejects.toMatchObject({ kind: "auth", status: 403 });
  });

  it("maps quota 429 (with RetryInfo) and 500 to retriable, a retired model to invalid", async () => {
    fake.script(VEO_ERRORS.quotaExceeded(30));
    await expect(vertex().submit(REQUEST)).rejects.toMatchObject({
      kind: "retriable",
      status: 429,
      retryAfterSeconds: 30,
    });
    const veo = vertex();
    const name = await veo.submit(REQUEST);
    fake.script(VEO_ERRORS.internal(/fetchPredictOperation$/));
    await expect(veo.check(name)).rejects.toMatchObject({ kind: "retriable", status: 500 });
    await expect(vertex({ model: "veo-3.0-generate-001" }).submit(REQUEST)).rejects.toMatchObject({
      kind: "invalid",
      status: 404,
      message: expect.stringMatching(
        /^Google Veo \(Vertex AI\) rejected the request \(HTTP 404\): Publisher Model .*veo-3\.0-generate-001` not found\.$/,
      ),
    });
  });
});

describe("Veo on the Gemini API against the fake", () => {
  it("starts with the API key, polls the operation and downloads the file URI with the key", async () => {
    const veo = gemini();
    const name = await veo.submit(REQUEST);
    expect(name).toMatch(/^models\/veo-3\.1-fast-generate-preview\/operations\//);
    const start = fake.requests[0]!;
    expect(start.path).toBe("/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning");
    expect(start.headers["x-goog-api-key"]).toBe(fake.apiKey);
    expect((start.json as { parameters: object }).parameters).toEqual({
      sampleCount: 1,
      durationSeconds: 6,
      aspectRatio: "16:9",
      resolution: "720p",
    });
    await veo.check(name);
    const done = await veo.check(name);
    expect(fake.requests[2]).toMatchObject({ method: "GET", path: `/v1beta/${name}` });
    if (done.state !== "done" || !("url" in done.source))
      throw new Error(`expected a URL, got ${JSON.stringify(done)}`);
    const outPath = path.join(dir, "gemini.mp4");
    await veo.saveClip(done.source, { outPath, seconds: 5, profile: PROFILE });
    expect(fake.requests[3]!.headers["x-goog-api-key"]).toBe(fake.apiKey);
    expect((await probeMedia(outPath)).durationSeconds).toBeCloseTo(5, 1);
  });

  it("maps an invalid API key (400 API_KEY_INVALID) to auth on GEMINI_API_KEY and a malformed body to retriable", async () => {
    await expect(gemini("wrong").submit(REQUEST)).rejects.toMatchObject({
      kind: "auth",
      message:
        "Google Veo (Gemini API) refused Kadr's access (HTTP 401): INVALID_ARGUMENT; check GEMINI_API_KEY",
    });
    fake.script(VEO_ERRORS.malformed());
    await expect(gemini().submit(REQUEST)).rejects.toMatchObject({ kind: "retriable" });
  });
});
