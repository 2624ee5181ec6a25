/**
 * Bench section `engine`: the embedded executor's overhead per step — a 200-step sequential run and
 * a 48-way parallel fan-out, each against the same step bodies called directly — on PGlite and,
 * when a PostgreSQL server can be started (scripts/test-postgres.sh), on PostgreSQL. Goal < 5 ms.
 */
import { eq } from "drizzle-orm";
import { Inngest } from "inngest";
import { serve } from "inngest/next";
import { embeddedClientOptions, embeddedSigningKey } from "@/inngest/embedded/bridge";
import { EmbeddedExecutor, toServeHandler } from "@/inngest/embedded/executor";
import type { DbHandle } from "@/lib/db";
import { engineRuns } from "@/lib/db/schema";
import { onBothDatabases } from "../databases";
import { type BenchRow, median, percentile } from "../types";

const SEQUENTIAL_STEPS = 200;
const PARALLEL_STEPS = 48;
const RUNS = 5;
/** Unmeasured runs first, so the median is of a warmed-up (JIT-compiled) process. */
const WARMUP_RUNS = 1;
const GOAL_MS = 5;

const client = new Inngest({ id: "bench", ...embeddedClientOptions() });
const body = (i: number) => i * 2;

const sequential = client.createFunction(
  { id: "sequential", triggers: [{ event: "bench/sequential" }] },
  async ({ step }) => {
    let sum = 0;
    for (let i = 0; i < SEQUENTIAL_STEPS; i++) sum += await step.run(`s${i}`, () => body(i));
    return sum;
  },
);

const parallel = client.createFunction(
  { id: "parallel", triggers: [{ event: "bench/parallel" }] },
  async ({ step }) => {
    const values = await Promise.all(
      Array.from({ length: PARALLEL_STEPS }, (_, i) => step.run(`p${i}`, () => body(i))),
    );
    return values.reduce((a, b) => a + b, 0);
  },
);

/** Step requests (POSTs) the executors of this module have sent to serve(). */
let sdkRequests = 0;

const KINDS = {
  sequential: { event: "bench/sequential", functionId: "bench-sequential", steps: SEQUENTIAL_STEPS },
  parallel: { event: "bench/parallel", functionId: "bench-parallel", steps: PARALLEL_STEPS },
} as const;

/**
 * Creates and starts an executor serving the bench functions on `handle`; stop it when done.
 * @param parallelism SDK requests in flight at once (the executor's default when absent).
 */
export async function engineBenchExecutor(handle: DbHandle, parallelism?: number): Promise<EmbeddedExecutor> {
  const handler = toServeHandler(serve({ client, functions: [sequential, parallel] }));
  const executor = new EmbeddedExecutor({
    parallelism,
    db: handle.db,
    signingKey: embeddedSigningKey(),
    handler: (request) => {
      if (request.method === "POST") sdkRequests++;
      return handler(request);
    },
    // Production polling (start.ts): runs are kicked in-process, polling is only for waits/retries.
  });
  await executor.start("http://127.0.0.1:3000/api/inngest");
  return executor;
}

/**
 * Sends one bench event and waits for its run to complete.
 * @returns wall time from send to completion, in ms.
 * @throws when the run does not complete successfully.
 */
export async function timeEngineRun(
  executor: EmbeddedExecutor,
  handle: DbHandle,
  kind: keyof typeof KINDS,
): Promise<number> {
  const { event: name, functionId } = KINDS[kind];
  const start = performance.now();
  const { ids } = await client.send({ name, data: {} });
  for (;;) {
    const [run] = await handle.db
      .select({ id: engineRuns.id })
      .from(engineRuns)
      .where(eq(engineRuns.eventId, ids[0]!));
    if (run) {
      // waitForRun wakes when the executor finishes the run; its poll is only a fallback.
      const done = await executor.waitForRun(run.id, 1000);
      if (done.status !== "completed") throw new Error(`${functionId} ${done.status}`);
      return performance.now() - start;
    }
  }
}

async function measure(label: string, handle: DbHandle): Promise<BenchRow[]> {
  const executor = await engineBenchExecutor(handle);
  try {
    const rows: BenchRow[] = [];
    for (const kind of ["sequential", "parallel"] as const) {
      const { steps } = KINDS[kind];
      const directStart = performance.now();
      for (let i = 0; i < steps; i++) body(i);
      const directMs = performance.now() - directStart;
      for (let r = 0; r < WARMUP_RUNS; r++) await timeEngineRun(executor, handle, kind);
      const perStep: number[] = [];
      const requestsBefore = sdkRequests;
      for (let r = 0; r < RUNS; r++)
        perStep.push(((await timeEngineRun(executor, handle, kind)) - directMs) / steps);
      const med = median(perStep);
      rows.push({
        section: "engine",
        name: `${kind}_${label}_per_step_ms`,
        value: med,
        unit: "ms",
        goal: `< ${GOAL_MS}`,
        ok: med < GOAL_MS,
        note:
          `${steps} steps, median of ${RUNS} runs after ${WARMUP_RUNS} warm-up ` +
          `(p95 ${percentile(perStep, 95).toFixed(2)} ms; ${(sdkRequests - requestsBefore) / RUNS} SDK requests per run)`,
      });
    }
    return rows;
  } finally {
    await executor.stop();
  }
}

/** Runs the section on PGlite (in memory) and on PostgreSQL. */
export function runEngineBench(): Promise<BenchRow[]> {
  return onBothDatabases("engine", measure);
}
