/**
 * Bench section `pipeline`: a 48 × 5 s job through the real produce-video function on the embedded
 * executor, with fake providers that answer after a fixed latency L per call and at most C calls in
 * flight per provider (lib/providers/limits.ts, as KADR_<KIND>_CONCURRENCY sets it in the app); the
 * executor runs up to its default KADR_ENGINE_PARALLELISM steps at once, so each step's local work
 * after its call overlaps the next calls. Gates are approved the moment they open. The wall time is
 * compared with the ideal that limit allows:
 *   script (1 call) + plan (1 call) + ceil(48/C)·L images + ceil(48/C)·L clips
 *   + ceil(48/C)·L narration + the assemble step's own time (measured).
 * Goal ≤ 1.1×. The fakes return pre-made media (one canonical 5 s clip, one WAV), so the figure is
 * the orchestration's cost, not rendering's.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { inngest } from "@/inngest/client";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { openDb } from "@/lib/db";
import { engineRuns, engineSteps } from "@/lib/db/schema";
import { loadEnv } from "@/lib/env";
import { renderKenBurnsClip } from "@/lib/media/kenburns";
import { profileForAspect } from "@/lib/media/profile";
import { getProviders, type Providers } from "@/lib/providers";
import { limitProviderCalls } from "@/lib/providers/limits";
import { createRuntime, setRuntime } from "@/lib/runtime";
import { approveGate, createJob, ensureLocalOwner, GATE_STATUS, getJobView } from "@/lib/studio/jobs";
import type { BenchRow } from "../types";

const SEGMENTS = 48;
const SEGMENT_SECONDS = 5;
const LATENCY_MS = 250;
const CONCURRENCY = 4;
const GOAL = 1.1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` after the fake provider's latency. */
async function afterLatency<T>(work: () => T | Promise<T>): Promise<T> {
  await sleep(LATENCY_MS);
  return work();
}

/** Local providers behind a fixed per-call latency, returning pre-made media for images, clips and speech. */
async function latencyProviders(workDir: string): Promise<Providers> {
  const local = getProviders({});
  const profile = profileForAspect("16:9");
  const image = await local.image.renderImage({ prompt: "bench", caption: "bench", ...profile, seed: 1 });
  const imagePath = path.join(workDir, "still.png");
  fs.writeFileSync(imagePath, image);
  const clipPath = path.join(workDir, "clip.mp4");
  await renderKenBurnsClip({
    imagePath,
    outPath: clipPath,
    seconds: SEGMENT_SECONDS,
    profile,
    motion: { prompt: "slow zoom in", seed: "bench" },
  });
  const speech = await local.tts.synthesize({ text: "A short line of narration.", language: "en" });
  return {
    llm: {
      name: "bench",
      writeScript: (input) => afterLatency(() => local.llm.writeScript(input)),
      planSegments: (input) => afterLatency(() => local.llm.planSegments(input)),
    },
    // Distinct bytes per prompt, so every segment stores its own asset.
    image: {
      name: "bench",
      renderImage: (input) => afterLatency(() => Buffer.concat([image, Buffer.from(input.prompt)])),
    },
    video: {
      name: "bench",
      animateImage: async (input) => {
        await sleep(LATENCY_MS);
        fs.copyFileSync(clipPath, input.outPath);
      },
    },
    tts: { name: "bench", synthesize: () => afterLatency(() => speech) },
  };
}

/** Runs the section once (a 48-segment job takes tens of seconds). */
export async function runPipelineBench(): Promise<BenchRow[]> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-bench-pipeline-"));
  const handle = await openDb({ dataDir: "memory://" });
  try {
    const providers = limitProviderCalls(await latencyProviders(workDir), {
      llm: CONCURRENCY,
      image: CONCURRENCY,
      video: CONCURRENCY,
      tts: CONCURRENCY,
    });
    setRuntime(await createRuntime({ dbHandle: handle, dataDir: workDir, providers }));
    const executor = await startEmbeddedEngine({ db: handle.db });
    const deps = { db: handle.db, sendEvent: (e: Parameters<typeof inngest.send>[0]) => inngest.send(e) };
    try {
      const ownerId = await ensureLocalOwner(handle.db);
      const started = performance.now();
      const job = await createJob(deps, ownerId, {
        topic: "Benchmarks",
        segmentCount: SEGMENTS,
        segmentSeconds: SEGMENT_SECONDS,
        language: "en",
      });
      const approved = new Set<string>();
      for (;;) {
        const { job: current } = await getJobView(handle.db, job.id);
        if (current.status === "completed") break;
        if (current.status === "failed" || current.status === "cancelled")
          throw new Error(`job ${current.status}: ${current.error}`);
        for (const gate of ["script", "images", "clips"] as const) {
          if (current.status === GATE_STATUS[gate] && !approved.has(gate)) {
            approved.add(gate);
            await approveGate(deps, job.id, gate, "bench");
          }
        }
        await sleep(20);
      }
      const wallSeconds = (performance.now() - started) / 1000;
      // The job completes inside the assemble step; the step's memo is written just after.
      const [producing] = await handle.db
        .select()
        .from(engineRuns)
        .where(eq(engineRuns.functionId, "kadr-produce-video"));
      const run = await executor.waitForRun(producing!.id, 10);
      const [assemble] = await handle.db
        .select()
        .from(engineSteps)
        .where(and(eq(engineSteps.runId, run.id), eq(engineSteps.name, "assemble")));
      const assembleSeconds =
        (assemble!.endedAt.getTime() - (assemble!.startedAt ?? assemble!.endedAt).getTime()) / 1000;
      const batches = Math.ceil(SEGMENTS / CONCURRENCY);
      const idealSeconds = (2 + 3 * batches) * (LATENCY_MS / 1000) + assembleSeconds;
      const ratio = wallSeconds / idealSeconds;
      const note = `${SEGMENTS} segments, L = ${LATENCY_MS} ms, C = ${CONCURRENCY} per provider, engine parallelism ${loadEnv().KADR_ENGINE_PARALLELISM}, PGlite in memory`;
      return [
        { section: "pipeline", name: "wall_s", value: wallSeconds, unit: "s", goal: "", ok: true, note },
        {
          section: "pipeline",
          name: "ideal_s",
          value: idealSeconds,
          unit: "s",
          goal: "",
          ok: true,
          note: `incl. assemble ${assembleSeconds.toFixed(2)} s`,
        },
        {
          section: "pipeline",
          name: "wall_over_ideal",
          value: ratio,
          unit: "x",
          goal: `<= ${GOAL}`,
          ok: ratio <= GOAL,
          note,
        },
      ];
    } finally {
      await executor.stop();
      setRuntime(undefined);
    }
  } finally {
    await handle.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
