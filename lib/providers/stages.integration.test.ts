/**
 * A whole job through the pipeline's stage services (lib/studio/pipeline.ts, called directly, no
 * executor) on fake-backed real providers: OpenAI (script, prompts, images, speech), Runway or Veo
 * (clips) and Supabase Storage (blobs).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { OAuth2Client } from "google-auth-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { assets, segments } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import { probeMedia } from "@/lib/media/probe";
import { createRuntime, type Runtime } from "@/lib/runtime";
import { SupabaseBlobStore } from "@/lib/storage/supabase";
import { createJob, ensureLocalOwner, getJob } from "@/lib/studio/jobs";
import {
  animateClipStage,
  assembleStage,
  narrateStage,
  planSegmentsStage,
  renderImageStage,
  writeScriptStage,
} from "@/lib/studio/pipeline";
import { createVertexClient } from "./clients/google";
import { createOpenAiClient } from "./clients/openai";
import { createRunwayClient } from "./clients/runway";
import { type OpenAiFake, startOpenAiFake } from "./fakes/openai";
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
let openai: OpenAiFake;
let runway: RunwayFake;
let veo: VeoFake;
let supabase: SupabaseFake;
let dataDir: string;

beforeAll(async () => {
  [handle, openai, runway, veo, supabase] = await Promise.all([
    openTestDb(),
    startOpenAiFake(),
    startRunwayFake(),
    startVeoFake(),
    startSupabaseFake(),
  ]);
  dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-stages-"));
  openai.model = ({ schemaName, body }) => {
    const user = String((body.input as Array<{ content: string }>)[1]!.content);
    const indices = [...user.matchAll(/^#(\d+) /gm)].map((m) => Number(m[1]));
    if (schemaName === "video_script") {
      return {
        json: {
          title: "Paper boats",
          intro: "Fold a sheet in half.",
          main: "Crease the edges well. Open the hull gently.",
          outro: "Float it on water.",
        },
      };
    }
    if (schemaName === "image_prompts") {
      return {
        json: {
          styleGuide: "soft pastel paper craft",
          prompts: indices.map((index) => ({ index, prompt: `paper boat step ${index}` })),
        },
      };
    }
    return {
      json: { motions: indices.map((index) => ({ index, motion: index % 2 ? "pan left" : "slow zoom in" })) },
    };
  };
});
afterAll(async () => {
  await Promise.all([handle.close(), openai.close(), runway.close(), veo.close(), supabase.close()]);
  await fs.promises.rm(dataDir, { recursive: true, force: true });
});

function videoProvider(name: "runway" | "veo"): VideoProvider {
  if (name === "runway") {
    return createRunwayVideo({
      client: createRunwayClient({ apiKey: runway.apiKey, baseURL: runway.url }),
      model: "gen4_turbo",
      pollIntervalMs: 5,
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
  return createVeoVideo({ client, flavour: "vertex", model: "veo-3.1-fast-generate-001", pollIntervalMs: 5 });
}

async function runtimeWith(video: VideoProvider): Promise<Runtime> {
  const client = createOpenAiClient({ apiKey: openai.apiKey, baseURL: openai.baseURL, maxRetries: 0 });
  return createRuntime({
    dbHandle: handle,
    dataDir,
    store: new SupabaseBlobStore({
      url: supabase.url,
      serviceRoleKey: supabase.serviceRoleKey,
      bucket: "kadr-media",
      publicBucket: false,
      // One cache for both runs: the pipeline reads blobs through the synchronous pathOf, which only
      // sees this instance's cache (a second cache dir would need BlobStore.localPath there).
      cacheDir: path.join(dataDir, "cache"),
    }),
    providers: {
      llm: createOpenAiLlm({ client, model: "gpt-5-mini" }),
      image: createOpenAiImage({ client, model: "gpt-image-2" }),
      video,
      tts: createOpenAiTts({ client, model: "gpt-4o-mini-tts" }),
    },
  });
}

describe.each(["runway", "veo"] as const)("a 4 × 2 s job on OpenAI + %s + Supabase fakes", (videoName) => {
  it("runs every stage and stores the final video in the bucket", async () => {
    const rt = await runtimeWith(videoProvider(videoName));
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob({ db: handle.db, sendEvent: async () => undefined }, ownerId, {
      topic: "Paper boats",
      segmentCount: 4,
      segmentSeconds: 2,
      language: "en",
    });
    const llmCallsBefore = openai.requestsTo(/^POST \/v1\/responses$/).length;
    await writeScriptStage(rt, job.id);
    const indices = await planSegmentsStage(rt, job.id);
    expect(openai.requestsTo(/^POST \/v1\/responses$/).length - llmCallsBefore).toBe(3);
    for (const index of indices) await renderImageStage(rt, job.id, index);
    for (const index of indices) await animateClipStage(rt, job.id, index);
    for (const index of indices) await narrateStage(rt, job.id, index);
    const finalId = await assembleStage(rt, job.id);

    const done = await getJob(handle.db, job.id);
    expect(done.status).toBe("completed");
    const rows = await handle.db
      .select()
      .from(segments)
      .where(eq(segments.jobId, job.id))
      .orderBy(asc(segments.index));
    expect(rows.map((s) => s.imagePrompt)).toEqual(
      [0, 1, 2, 3].map((i) => `soft pastel paper craft. paper boat step ${i}`),
    );
    const [final] = await handle.db.select().from(assets).where(eq(assets.id, finalId));
    expect(supabase.objects.get(`kadr-media/${final!.storageKey}`)?.contentType).toBe("video/mp4");
    const clips = await handle.db.select().from(assets).where(eq(assets.kind, "clip"));
    expect(clips.some((c) => c.provider === videoName)).toBe(true);
    const probe = await probeMedia(await rt.store.localPath(final!.storageKey));
    // 4 × 2 s minus two 0.5 s section crossfades.
    expect(probe.durationSeconds).toBeCloseTo(7, 0);
  });
});
