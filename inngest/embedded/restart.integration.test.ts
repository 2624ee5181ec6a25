/**
 * Sleeps and wait timeouts survive restarts: a child process (./restart-fixture) starts a run inside
 * step.sleep, one inside step.waitForEvent with a short timeout and one waiting for an event, and
 * is SIGKILLed once all three are suspended. A new executor on the same database, started midway
 * through the sleep, wakes the sleeper at its original deadline (not early, not a whole sleep after
 * the restart), times the short wait out to null at its original deadline, and matches an event
 * sent after the restart to the third run; no step before a suspension runs again.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { serve } from "inngest/next";
import { afterAll, describe, expect, it } from "vitest";
import { type DbHandle, openDb } from "@/lib/db";
import { engineRuns, engineSteps, engineWaits } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { embeddedSigningKey } from "./bridge";
import { EmbeddedExecutor, toServeHandler } from "./executor";
import { restartFunctions, SLEEP_MS } from "./restart-fixture";

const root = path.resolve(import.meta.dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-restart-"));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs the fixture until it reports "ready", then SIGKILLs it; resolves once it is gone. */
function runAndKill(env: Record<string, string>, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(root, "inngest/embedded/restart-fixture.ts"), tmp, logFile],
      { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("ready")) child.kill("SIGKILL");
    });
    child.on("close", (code, signal) => {
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`fixture exited ${code}: ${stderr}`));
    });
  });
}

function sideEffects(logFile: string, name: string): number[] {
  return fs
    .readFileSync(logFile, "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(" "))
    .filter(([n]) => n === name)
    .map(([, at]) => Number(at));
}

describe(`executor restart during sleeps and waits (${testDbKind()})`, () => {
  it("wakes a sleep and times a wait out at their original deadlines, and matches a new event", async () => {
    let env: Record<string, string> = { DATABASE_URL: "" };
    let handle: DbHandle;
    if (testDbKind() === "postgres") {
      const testDb = await openTestDb();
      cleanups.push(() => testDb.close());
      env = { DATABASE_URL: testDb.url! };
      handle = testDb;
    } else {
      handle = undefined as unknown as DbHandle;
    }
    const logFile = path.join(tmp, "side-effects.log");
    await runAndKill(env, logFile);
    if (testDbKind() === "pglite") {
      handle = await openDb({ dataDir: path.join(tmp, "pglite") });
      cleanups.push(() => handle.close());
    }
    const db = handle.db;

    // As the killed process left them: all three runs suspended, with their waits' deadlines.
    const runs = await db.select().from(engineRuns);
    expect(runs.map((r) => r.status)).toEqual(["waiting", "waiting", "waiting"]);
    const runId = (eventId: string) => runs.find((r) => r.eventId === eventId)!.id;
    const waits = await db.select().from(engineWaits);
    const waitOf = (eventId: string) => waits.find((w) => w.runId === runId(eventId))!;
    const sleepUntil = waitOf("sleeper-run").expiresAt.getTime();
    const timeoutAt = waitOf("timeout-run").expiresAt.getTime();
    expect(waitOf("sleeper-run").kind).toBe("sleep");
    expect(waitOf("timeout-run").kind).toBe("event");
    const [sleeperBefore] = sideEffects(logFile, "sleeper-before");
    expect(sleepUntil - sleeperBefore!).toBeGreaterThanOrEqual(SLEEP_MS);
    expect(sleepUntil - sleeperBefore!).toBeLessThan(SLEEP_MS + 2000);

    // Restart halfway through the sleep, so that a sleep started over would end 6 s late.
    const sleepStart = sleepUntil - SLEEP_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, sleepStart + SLEEP_MS / 2 - Date.now())));
    const restartAt = Date.now();
    expect(restartAt, "restarted before the deadlines").toBeLessThan(Math.min(sleepUntil, timeoutAt) - 1500);
    const { client, functions } = restartFunctions(logFile);
    const executor = new EmbeddedExecutor({
      db,
      signingKey: embeddedSigningKey(),
      handler: toServeHandler(serve({ client, functions })),
      pollIntervalMs: 50,
    });
    await executor.start("http://127.0.0.1:3000/api/inngest");
    try {
      await client.send({ name: "restart/go", data: { key: "other" } });
      const sentAt = Date.now();
      await client.send({ name: "restart/go", data: { key: "m1" } });

      const sleeper = await executor.waitForRun(runId("sleeper-run"), 20);
      const timeout = await executor.waitForRun(runId("timeout-run"), 20);
      const matcher = await executor.waitForRun(runId("matcher-run"), 20);

      // (a) The sleeper woke at its original deadline: not early, not a whole sleep after the restart.
      expect(sleeper.status).toBe("completed");
      expect(sideEffects(logFile, "sleeper-before")).toHaveLength(1);
      const [sleeperAfter, ...again] = sideEffects(logFile, "sleeper-after");
      expect(again).toEqual([]);
      expect(sleeperAfter!).toBeGreaterThanOrEqual(sleeperBefore! + SLEEP_MS);
      expect(sleeperAfter!).toBeGreaterThanOrEqual(sleepUntil);
      expect(sleeperAfter!).toBeLessThan(sleepUntil + 1500);
      expect(sleeperAfter!).toBeLessThan(restartAt + SLEEP_MS - 1000);
      expect(sleeper.output).toEqual({ before: sleeperBefore, after: sleeperAfter });

      // (b) The short wait timed out to null at its original deadline.
      expect(timeout).toMatchObject({ status: "completed", output: { got: null } });
      expect(sideEffects(logFile, "timeout-before")).toHaveLength(1);
      const [timeoutAfter, ...timeoutAgain] = sideEffects(logFile, "timeout-after");
      expect(timeoutAgain).toEqual([]);
      expect(timeoutAfter!).toBeGreaterThanOrEqual(timeoutAt);
      expect(timeoutAfter!).toBeLessThan(timeoutAt + 1500);

      // (c) The event sent after the restart (and only the matching one) resumed the third run.
      expect(matcher).toMatchObject({ status: "completed", output: { got: { key: "m1" } } });
      expect(sideEffects(logFile, "matcher-before")).toHaveLength(1);
      const [matcherAfter, ...matcherAgain] = sideEffects(logFile, "matcher-after");
      expect(matcherAgain).toEqual([]);
      expect(matcherAfter!).toBeGreaterThanOrEqual(sentAt);

      // Engine rows: no wait left; each suspension memoized once, with what it resolved to, when due.
      expect(await db.select().from(engineWaits)).toEqual([]);
      const stepsOf = (eventId: string) =>
        db
          .select()
          .from(engineSteps)
          .where(eq(engineSteps.runId, runId(eventId)));
      const nap = (await stepsOf("sleeper-run")).filter((s) => s.op === "Sleep");
      expect(nap.map((s) => [s.name, s.result])).toEqual([["nap", { data: null }]]);
      expect(nap[0]!.endedAt.getTime()).toBeGreaterThanOrEqual(sleepUntil);
      const short = (await stepsOf("timeout-run")).filter((s) => s.op === "WaitForEvent");
      expect(short.map((s) => [s.name, s.result])).toEqual([["wait-short", { data: null }]]);
      expect(short[0]!.endedAt.getTime()).toBeGreaterThanOrEqual(timeoutAt);
      const go = (await stepsOf("matcher-run")).filter((s) => s.op === "WaitForEvent");
      expect(go).toHaveLength(1);
      expect(go[0]!.result).toMatchObject({ data: { name: "restart/go", data: { key: "m1" } } });
      for (const eventId of ["sleeper-run", "timeout-run", "matcher-run"])
        expect((await stepsOf(eventId)).map((s) => s.name).sort()).toEqual(
          [
            "after",
            "before",
            eventId === "sleeper-run" ? "nap" : eventId === "timeout-run" ? "wait-short" : "wait-go",
          ].sort(),
        );
    } finally {
      await executor.stop();
    }
  }, 120_000);
});
