/**
 * Whole jobs through the embedded executor (produce-video, regenerate-segment) on fake-backed real
 * providers: OpenAI (script, prompts, images, speech) + Runway clips + Supabase Storage, and the
 * same with Veo (Vertex AI) clips. The test approves the gates. Clips are polled durably: submit in
 * one step, then sleeps and checks in steps (inngest/functions/clip-polling.ts); the Runway fake
 * answers one task check with a 500, and the retried check must not submit the clip again.
 *
 * Provider failures at the job level (lib/providers/errors.ts, lib/studio/pipeline.ts): a 401 from
 * OpenAI's image endpoint fails the whole job with a message naming OpenAI and OPENAI_API_KEY and no
 * key; a 400 for one segment's image or clip marks only that segment failed with the provider's
 * reason, the other segments go on and the gate shows it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, asc, eq, inArray } from "drizzle-orm";
import { OAuth2Client } from "google-auth-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { DbHandle } from "@/lib/db";
import {
  assets,
  engineRuns,
  engineSteps,
  engineWaits,
  jobEvents,
  providerCalls,
  segments,
} from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { probeMedia } from "@/lib/media/probe";
import { profileForAspect } from "@/lib/media/profile";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { SupabaseBlobStore } from "@/lib/storage/supabase";
import {
  approveGate,
  cancelJob,
  createJob,
  ensureLocalOwner,
  getJobView,
  type JobView,
  requestRegeneration,
  type SegmentView,
  type StudioDeps,
} from "@/lib/studio/jobs";
import { createVertexClient } from "./clients/google";
import { createOpenAiClient } from "./clients/openai";
import { createRunwayClient } from "./clients/runway";
import { OPENAI_ERRORS, type OpenAiFake, openAiError, startOpenAiFake } from "./fakes/openai";
import { type RunwayFake, startRunwayFake } from "./fakes/runway";
import { type SupabaseFake, startSupabaseFake } from "./fakes/supabase";
import { startVeoFake, type VeoFake } from "./fakes/veo";
import { createOpenAiImage } from "./image/openai";
import { createOpenAiLlm } from "./llm/openai";
import { createOpenAiTts } from "./tts/openai";
import { createRunwayVideo } from "./video/runway";
import type { VideoProvider } from "./video/types";
import { createVeoVideo } from "./video/veo";

let handle: DbHandle;
let executor: EmbeddedExecutor;
let openai: OpenAiFake;
let runway: RunwayFake;
let veo: VeoFake;
let supabase: SupabaseFake;
let dataDir: string;

const FORMAT = { segmentCount: 4, segmentSeconds: 2, language: "en" } as const;
/** What the fake model writes about; differs per test, so no image or narration comes from the cache. */
let subject = "paper boat";

beforeAll(async () => {
  [handle, openai, runway, veo, supabase] = await Promise.all([
    openTestDb(),
    startOpenAiFake(),
    // PENDING, then SUCCEEDED: two checks per clip.
    startRunwayFake({ pollsUntilDone: 1 }),
    startVeoFake({ pollsUntilDone: 1 }),
    startSupabaseFake(),
  ]);
  dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-provider-jobs-"));
  openai.model = ({ schemaName, body }) => {
    const user = String((body.input as Array<{ content: string }>)[1]!.content);
    const indices = [...user.matchAll(/^#(\d+) /gm)].map((m) => Number(m[1]));
    if (schemaName === "video_script") {
      return {
        json: {
          title: `A ${subject}`,
          intro: `Fold a sheet in half for the ${subject}.`,
          main: "Crease the edges well. Open the hull gently.",
          outro: `Let the ${subject} go.`,
        },
      };
    }
    if (schemaName === "image_prompts") {
      return {
        json: {
          styleGuide: "soft pastel paper craft",
          prompts: indices.map((index) => ({ index, prompt: `${subject} step ${index}` })),
        },
      };
    }
    return {
      json: { motions: indices.map((index) => ({ index, motion: index % 2 ? "pan left" : "slow zoom in" })) },
    };
  };
  executor = await startEmbeddedEngine({ db: handle.db });
}, 60_000);

afterAll(async () => {
  await executor?.stop();
  setRuntime(undefined);
  await Promise.all([handle.close(), openai.close(), runway.close(), veo.close(), supabase.close()]);
  await fs.promises.rm(dataDir, { recursive: true, force: true });
});

/** Clip providers on the fakes, checked every second (the shortest durable sleep). */
function videoProvider(name: "runway" | "veo"): VideoProvider {
  if (name === "runway") {
    return createRunwayVideo({
      // No SDK retries: a 500 on a check must fail that step, so the executor retries it.
      client: createRunwayClient({ apiKey: runway.apiKey, baseURL: runway.url, maxRetries: 0 }),
      model: "gen4_turbo",
      pollIntervalMs: 1000,
    });
  }
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: veo.accessToken, expiry_date: Date.now() + 3_600_000 });
  const client = createVertexClient({
    project: "kadr-test",
    location: "us-central1",
    authClient,
    baseUrl: veo.url,
  });
  return createVeoVideo({
    client,
    flavour: "vertex",
    model: "veo-3.1-fast-generate-001",
    pollIntervalMs: 1000,
  });
}

async function useRuntime(video: VideoProvider): Promise<Runtime> {
  const client = createOpenAiClient({ apiKey: openai.apiKey, baseURL: openai.baseURL, maxRetries: 0 });
  const rt = await createRuntime({
    dbHandle: handle,
    dataDir,
    store: new SupabaseBlobStore({
      url: supabase.url,
      serviceRoleKey: supabase.serviceRoleKey,
      bucket: "kadr-media",
      publicBucket: false,
      cacheDir: path.join(dataDir, "cache"),
    }),
    providers: {
      llm: createOpenAiLlm({ client, model: "gpt-5-mini" }),
      image: createOpenAiImage({ client, model: "gpt-image-2" }),
      video,
      tts: createOpenAiTts({ client, model: "gpt-4o-mini-tts" }),
    },
  });
  setRuntime(rt);
  return rt;
}

async function until(
  jobId: string,
  done: (view: JobView) => boolean,
  what: string,
  { failedIsDone = false } = {},
): Promise<JobView> {
  for (let i = 0; i < 1200; i++) {
    const view = await getJobView(handle.db, jobId);
    if (done(view)) return view;
    if (view.job.status === "failed" && !failedIsDone) throw new Error(`job failed: ${view.job.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; job is ${(await getJobView(handle.db, jobId)).job.status}`);
}

/** Runs a job to its clips gate, approving the script and images gates. */
async function toClipsGate(deps: StudioDeps, topic: string) {
  const ownerId = await ensureLocalOwner(handle.db);
  const job = await createJob(deps, ownerId, { topic, ...FORMAT });
  await until(job.id, (v) => v.job.status === "awaiting_script_approval", "the script gate");
  await approveGate(deps, job.id, "script", "test");
  await until(job.id, (v) => v.job.status === "awaiting_images_approval", "the images gate");
  await approveGate(deps, job.id, "images", "test");
  const gate = await until(job.id, (v) => v.job.status === "awaiting_clips_approval", "the clips gate");
  return { job, gate };
}

/** Every clip is normalized: the segment's length, the job's profile, H.264 yuv420p. */
async function expectNormalizedClips(rt: Runtime, view: JobView) {
  const profile = profileForAspect(view.job.aspect);
  for (const segment of view.segments) {
    expect(segment.clipStatus).toBe("ready");
    const probe = await probeMedia(await rt.store.localPath(segment.clipStorageKey!));
    expect(probe.durationSeconds).toBeCloseTo(FORMAT.segmentSeconds, 1);
    const videoStream = probe.streams.find((s) => s.type === "video")!;
    expect(videoStream).toMatchObject({
      codec: "h264",
      pixFmt: "yuv420p",
      width: profile.width,
      height: profile.height,
    });
    expect(videoStream.fps).toBeCloseTo(profile.fps, 3);
  }
}

/** Approves the clips gate, waits for completion and checks the final video with ffprobe. */
async function finish(rt: Runtime, deps: StudioDeps, jobId: string): Promise<JobView> {
  await approveGate(deps, jobId, "clips", "test");
  const done = await until(jobId, (v) => v.job.status === "completed", "completion");
  const final = done.finalAsset!;
  const probe = await probeMedia(await rt.store.localPath(final.storageKey));
  // 4 × 2 s minus two 0.5 s section crossfades.
  expect(probe.durationSeconds).toBeCloseTo(7, 0);
  expect(probe.streams.map((s) => s.type)).toEqual(expect.arrayContaining(["video", "audio"]));
  expect(supabase.objects.get(`kadr-media/${final.storageKey}`)?.contentType).toBe("video/mp4");
  return done;
}

/** Spend per stage: llm, image, video and tts rows, each stage costing something. */
async function expectSpendPerStage(jobId: string, view: JobView) {
  const rows = await handle.db.select().from(providerCalls).where(eq(providerCalls.jobId, jobId));
  for (const stage of ["llm", "image", "video", "tts"]) {
    const ofStage = rows.filter((r) => r.stage === stage);
    expect(ofStage.length, stage).toBeGreaterThan(0);
    expect(
      ofStage.reduce((sum, r) => sum + r.costUsd, 0),
      stage,
    ).toBeGreaterThan(0);
  }
  expect(view.cost.credits).toBeGreaterThan(0);
  expect(view.cost.usd).toBeGreaterThan(0);
  return rows;
}

/** Names of the steps and waits of a job's runs (produce-video, regenerate-segment). */
async function stepNames(jobId: string): Promise<string[]> {
  const runs = await handle.db.select().from(engineRuns);
  const ids = runs.filter((r) => JSON.stringify(r.event).includes(jobId)).map((r) => r.id);
  const steps = await handle.db.select().from(engineSteps).where(inArray(engineSteps.runId, ids));
  const waits = await handle.db.select().from(engineWaits).where(inArray(engineWaits.runId, ids));
  return [...steps.map((s) => s.name ?? ""), ...waits.map((w) => w.stepName ?? "")].filter(Boolean);
}

/**
 * The step names of a job's runs once they include `expected` (up to 10 s): a segment shows ready
 * inside its step, a moment before the executor records that step's result.
 */
async function stepNamesIncluding(jobId: string, expected: string[]): Promise<string[]> {
  let names = await stepNames(jobId);
  for (let i = 0; i < 100 && !expected.every((n) => names.includes(n)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    names = await stepNames(jobId);
  }
  return names;
}

describe(`durable clip jobs through the executor (${testDbKind()})`, () => {
  it("runs a job on OpenAI + Runway + Supabase fakes; a failed check is retried without a second submit", async () => {
    const rt = await useRuntime(videoProvider("runway"));
    const deps: StudioDeps = { db: handle.db, sendEvent: (e) => inngest.send(e), policy: rt.policy };
    // The first task check of the run answers 500 once (no SDK retry): that step fails and is retried.
    runway.script({
      match: /^GET \/v1\/tasks\//,
      status: 500,
      headers: { "retry-after-ms": "200" },
      json: { error: "An unexpected error occurred." },
    });
    const submitsBefore = runway.requestsTo(/^POST \/v1\/image_to_video$/).length;
    const { job, gate } = await toClipsGate(deps, "Paper boats");

    // One paid submit per clip, although one check failed and was retried.
    expect(runway.requestsTo(/^POST \/v1\/image_to_video$/).length - submitsBefore).toBe(4);
    const checks = runway.requestsTo(/^GET \/v1\/tasks\//);
    expect(checks.length).toBe(4 * 2 + 1);
    expect(checks.filter((r) => r.path === checks[0]!.path).length).toBe(3);
    await expectNormalizedClips(rt, gate);

    // Each clip asset keeps its Runway task id; the timeline recorded it at submit time.
    const clipIds = gate.segments.map((s) => s.clipAssetId!);
    const clips = await handle.db.select().from(assets).where(inArray(assets.id, clipIds));
    const taskIds = new Set(checks.map((r) => r.path.split("/").pop()));
    expect(clips.map((c) => c.provider)).toEqual(["runway", "runway", "runway", "runway"]);
    for (const clip of clips) expect(taskIds.has(clip.providerJobId!)).toBe(true);
    const recorded = await handle.db
      .select()
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, job.id), eq(jobEvents.type, "clip_job")));
    expect(recorded.map((e) => e.data.providerJobId).sort()).toEqual(
      clips.map((c) => c.providerJobId).sort(),
    );

    // Spend: one billed row per submit (2 s each), the failed check recorded as retriable.
    const videoCalls = await handle.db
      .select()
      .from(providerCalls)
      .where(and(eq(providerCalls.jobId, job.id), eq(providerCalls.stage, "video")));
    const billed = videoCalls.filter((c) => c.unitKind === "video_second");
    expect(billed.map((c) => c.units)).toEqual([2, 2, 2, 2]);
    expect(
      billed.every((c) => c.provider === "runway" && c.model === "gen4_turbo" && c.costCredits > 0),
    ).toBe(true);
    expect(videoCalls.filter((c) => c.outcome === "retriable")).toHaveLength(1);

    // The steps are named per clip and per check.
    const names = await stepNames(job.id);
    for (let i = 0; i < 4; i++) {
      expect(names).toEqual(
        expect.arrayContaining([
          `animate-clip-${i}`,
          `animate-clip-${i}-wait-1`,
          `animate-clip-${i}-check-2`,
        ]),
      );
    }

    // A clip regenerated at the gate is polled the same way: one more submit, a new clip.
    await requestRegeneration(deps, job.id, 1, "clip", "test");
    const regenerated = await until(
      job.id,
      (v) => v.segments[1]!.clipStatus === "ready" && v.segments[1]!.clipAssetId !== clipIds[1],
      "the regenerated clip",
    );
    expect(runway.requestsTo(/^POST \/v1\/image_to_video$/).length - submitsBefore).toBe(5);
    const [take] = await handle.db
      .select()
      .from(assets)
      .where(eq(assets.id, regenerated.segments[1]!.clipAssetId!));
    expect(take!.providerJobId).toMatch(/^[0-9a-f-]{36}$/);
    const regenerationSteps = ["regenerate-clip", "regenerate-clip-check-2"];
    expect(await stepNamesIncluding(job.id, regenerationSteps)).toEqual(
      expect.arrayContaining(regenerationSteps),
    );

    const done = await finish(rt, deps, job.id);
    await expectSpendPerStage(job.id, done);
  }, 240_000);

  it("runs a job on OpenAI + Veo (Vertex AI) + Supabase fakes", async () => {
    subject = "paper crane";
    const rt = await useRuntime(videoProvider("veo"));
    const deps: StudioDeps = { db: handle.db, sendEvent: (e) => inngest.send(e), policy: rt.policy };
    const startsBefore = veo.requestsTo(/:predictLongRunning$/).length;
    const pollsBefore = veo.requestsTo(/:fetchPredictOperation$/).length;
    const { job, gate } = await toClipsGate(deps, "Paper cranes");
    expect(veo.requestsTo(/:predictLongRunning$/).length - startsBefore).toBe(4);
    // done: false, then done: true — two checks per clip.
    expect(veo.requestsTo(/:fetchPredictOperation$/).length - pollsBefore).toBe(8);
    await expectNormalizedClips(rt, gate);
    const clips = await handle.db
      .select()
      .from(assets)
      .where(
        inArray(
          assets.id,
          gate.segments.map((s) => s.clipAssetId!),
        ),
      );
    for (const clip of clips) {
      expect(clip.provider).toBe("veo");
      expect(clip.providerJobId).toMatch(/\/operations\/[^/]+$/);
    }
    const done = await finish(rt, deps, job.id);
    const rows = await expectSpendPerStage(job.id, done);
    expect(rows.filter((r) => r.stage === "video" && r.unitKind === "video_second")).toHaveLength(4);
    const ordered = await handle.db
      .select()
      .from(segments)
      .where(eq(segments.jobId, job.id))
      .orderBy(asc(segments.index));
    expect(ordered.map((s) => s.clipStatus)).toEqual(["ready", "ready", "ready", "ready"]);
  }, 240_000);
});

/** The one segment whose image (or clip) failed at a gate, asserting every other one is ready. */
function onlyFailedSegment(view: JobView, target: "image" | "clip"): SegmentView {
  const status = (s: SegmentView) => (target === "image" ? s.imageStatus : s.clipStatus);
  const failed = view.segments.filter((s) => status(s) === "failed");
  expect(failed.map((s) => s.index)).toHaveLength(1);
  expect(view.segments.filter((s) => status(s) === "ready")).toHaveLength(view.segments.length - 1);
  return failed[0]!;
}

describe(`provider failures at the job level (${testDbKind()})`, () => {
  const IMAGES = /^POST \/v1\/images\/generations$/;

  it("a 401 from OpenAI images fails the job with a message naming OpenAI and OPENAI_API_KEY, no key", async () => {
    subject = "paper lantern";
    const rt = await useRuntime(videoProvider("runway"));
    const deps: StudioDeps = { db: handle.db, sendEvent: (e) => inngest.send(e), policy: rt.policy };
    openai.script(OPENAI_ERRORS.invalidKey(IMAGES));
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob(deps, ownerId, { topic: "Paper lanterns", ...FORMAT });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval", "the script gate");
    await approveGate(deps, job.id, "script", "test");
    const failed = await until(job.id, (v) => v.job.status === "failed", "the job to fail", {
      failedIsDone: true,
    });

    expect(failed.job.error).toBe(
      "OpenAI refused Kadr's access (HTTP 401): invalid_api_key; check OPENAI_API_KEY",
    );
    // Neither the configured key nor the masked key OpenAI echoes in its message reaches the user.
    expect(failed.job.error).not.toContain(openai.apiKey);
    expect(failed.job.error).not.toContain("sk-fake");
    const events = await handle.db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id));
    expect(JSON.stringify(events)).not.toContain(openai.apiKey);
    // The job never reached the images gate and no segment is marked failed for the credentials.
    expect(failed.approvals.map((a) => a.gate)).toEqual(["script"]);
    expect(failed.segments.filter((s) => s.imageStatus === "failed")).toEqual([]);
  }, 240_000);

  it("a 400 for one segment's image, then for one clip, fails only that segment; the gates show why", async () => {
    subject = "paper kite";
    const rt = await useRuntime(videoProvider("runway"));
    const deps: StudioDeps = { db: handle.db, sendEvent: (e) => inngest.send(e), policy: rt.policy };
    openai.script({
      match: IMAGES,
      ...openAiError(400, {
        message: "Invalid prompt: the prompt is too long for this model.",
        type: "invalid_request_error",
        param: "prompt",
      }),
    });
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob(deps, ownerId, { topic: "Paper kites", ...FORMAT });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval", "the script gate");
    await approveGate(deps, job.id, "script", "test");
    const imagesGate = await until(
      job.id,
      (v) => v.job.status === "awaiting_images_approval",
      "the images gate",
    );

    const badImage = onlyFailedSegment(imagesGate, "image");
    expect(badImage.imageError).toBe(
      "OpenAI rejected the request (HTTP 400): Invalid prompt: the prompt is too long for this model.",
    );
    const imageIndex = badImage.index;
    // The gate cannot be approved past the failed segment; a regenerated image clears it.
    await expect(approveGate(deps, job.id, "images", "test")).rejects.toThrow(
      `Segment ${imageIndex + 1} is not ready yet`,
    );
    await requestRegeneration(deps, job.id, imageIndex, "image", "test");
    await until(job.id, (v) => v.segments[imageIndex]!.imageStatus === "ready", "the regenerated image");
    expect((await getJobView(handle.db, job.id)).segments[imageIndex]!.imageError).toBeNull();

    runway.script({
      match: /^POST \/v1\/image_to_video$/,
      status: 400,
      json: {
        error: "Invalid request body",
        issues: [
          { code: "too_big", path: ["promptText"], message: "String must contain at most 1000 character(s)" },
        ],
      },
    });
    await approveGate(deps, job.id, "images", "test");
    const clipsGate = await until(
      job.id,
      (v) => v.job.status === "awaiting_clips_approval",
      "the clips gate",
    );
    const badClip = onlyFailedSegment(clipsGate, "clip");
    expect(badClip.clipError).toMatch(/^Runway rejected the request \(HTTP 400\): Invalid request body/);
    expect(badClip.clipError).toContain("String must contain at most 1000 character(s)");
    expect(clipsGate.job.error).toBeNull();
    // The timeline records both refusals as segment errors.
    const errors = await handle.db
      .select()
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, job.id), eq(jobEvents.type, "error")));
    expect(errors.map((e) => e.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: imageIndex, target: "image", message: badImage.imageError }),
        expect.objectContaining({ index: badClip.index, target: "clip", message: badClip.clipError }),
      ]),
    );
    await cancelJob(deps, job.id, "test");
  }, 240_000);
});
