/**
 * `GET /api/v1/jobs/:id/captions.vtt` end to end: the embedded executor runs produce-video (4 × 2 s
 * segments from a pasted script, gates approved) with the local providers and real ffmpeg; the
 * route is called as Next.js calls it (local single-owner mode). The served WebVTT is compared with
 * the caption track ffmpeg reads out of the assembled MP4 and with the segments' timeline.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getCaptions } from "@/app/api/v1/jobs/[id]/captions.vtt/route";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { grant } from "@/lib/credits/ledger";
import { insertJob, insertUser } from "@/lib/credits/test-fixtures";
import type { DbHandle } from "@/lib/db";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { parseWebVtt } from "@/lib/media/captions";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import {
  approveGate,
  createJob,
  ensureLocalOwner,
  GATE_STATUS,
  getJobView,
  type JobView,
  type StudioDeps,
} from "@/lib/studio/jobs";

const SEGMENT_SECONDS = 2;
/** The crossfade at each section boundary (SECTION_CROSSFADE_SECONDS, 12 frames at 24 fps). */
const CROSSFADE = 0.5;
const SCRIPT = "Boats are folded. Water carries them. Wind pushes them. They reach the shore.";

let handle: DbHandle;
let runtime: Runtime;
let executor: EmbeddedExecutor;
let deps: StudioDeps;
let ownerId: string;
/** A finished 4 × 2 s job of the local owner, made once. */
let finished: JobView;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-captions-"));

async function until(jobId: string, done: (view: JobView) => boolean, what: string): Promise<JobView> {
  for (let i = 0; i < 1200; i++) {
    const view = await getJobView(handle.db, jobId);
    if (done(view)) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} of job ${jobId}`);
}

function call(jobId: string): Promise<Response> {
  const request = new Request(`http://127.0.0.1:3210/api/v1/jobs/${jobId}/captions.vtt`, {
    headers: { host: "127.0.0.1:3210" },
  });
  return getCaptions(request, { params: Promise.resolve({ id: jobId }) });
}

describe(`GET /api/v1/jobs/:id/captions.vtt (${testDbKind()})`, () => {
  beforeAll(async () => {
    delete process.env.TELEGRAM_BOT_TOKEN;
    handle = await openTestDb();
    runtime = await createRuntime({ dbHandle: handle, dataDir });
    setRuntime(runtime);
    executor = await startEmbeddedEngine({ db: handle.db });
    deps = { db: handle.db, sendEvent: (e) => inngest.send(e) };
    ownerId = await ensureLocalOwner(handle.db);
    await grant(handle.db, { userId: ownerId, amount: 10_000, key: "captions-test-topup" });
    const job = await createJob(deps, ownerId, {
      scriptText: SCRIPT,
      segmentCount: 4,
      segmentSeconds: SEGMENT_SECONDS,
      language: "en",
    });
    for (const gate of ["script", "images", "clips"] as const) {
      await until(job.id, (v) => v.job.status === GATE_STATUS[gate] || v.job.status === "failed", gate);
      await approveGate(deps, job.id, gate, "test");
    }
    finished = await until(job.id, (v) => ["completed", "failed"].includes(v.job.status), "completion");
    expect(finished.job.error).toBeNull();
  }, 300_000);
  afterAll(async () => {
    await executor?.stop();
    setRuntime(undefined);
    await handle?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves WebVTT with one cue per segment, timed as the assembled MP4's caption track", async () => {
    const response = await call(finished.job.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/vtt; charset=utf-8");
    const body = await response.text();
    expect(body.startsWith("WEBVTT\n")).toBe(true);
    const cues = parseWebVtt(body);

    // One cue per segment (short narration), its text the segment's narration, from the segment's
    // start to the next one's: sections intro, main, main, outro → crossfades after 0 and after 2.
    expect(finished.segments.map((s) => s.section)).toEqual(["intro", "main", "main", "outro"]);
    expect(cues.map((c) => c.text)).toEqual(finished.segments.map((s) => s.narration));
    const d = SEGMENT_SECONDS;
    const starts = [0, d - CROSSFADE, 2 * d - CROSSFADE, 3 * d - 2 * CROSSFADE];
    const end = 4 * d - 2 * CROSSFADE;
    expect(cues.map((c) => [c.startSeconds, c.endSeconds])).toEqual(
      starts.map((start, i) => [start, starts[i + 1] ?? end]),
    );

    // The same cues as the mov_text track muxed into the final video.
    const video = runtime.store.pathOf(finished.finalAsset!.storageKey);
    const muxed = parseWebVtt(
      execFileSync("ffmpeg", ["-v", "error", "-i", video, "-map", "0:s:0", "-f", "webvtt", "-"], {
        encoding: "utf8",
      }),
    );
    expect(cues).toEqual(muxed);
  });

  it("answers 404 for another owner's job and 409 before the job is completed", async () => {
    const stranger = await insertUser(handle.db, "Stranger");
    const foreign = await insertJob(handle.db, stranger, { status: "completed" });
    const notFound = await call(foreign);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ code: "not_found" });

    const open = await insertJob(handle.db, ownerId, { status: "rendering_images" });
    const early = await call(open);
    expect(early.status).toBe(409);
    const error = (await early.json()) as { code: string; message: string };
    expect(error.code).toBe("conflict");
    expect(error.message).toMatch(/rendering images.*completed/);
  });
});
