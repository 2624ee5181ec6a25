/**
 * Crash test: a child process runs a 24-step function on the embedded executor and is SIGKILLed at
 * seeded random points; after every restart the run continues. At the end every step's side effect
 * happened at least once, and never after its result had been recorded (at-least-once, and a
 * recorded step never runs again).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "@/lib/db";
import { engineRuns, engineSteps } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { mulberry32 } from "./test-support";

const root = path.resolve(import.meta.dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-crash-"));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Generation {
  outcome: "killed" | "done";
  killAfterMs?: number;
}

function runGeneration(
  env: Record<string, string>,
  logFile: string,
  killAfterMs: number | null,
): Promise<Generation> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(root, "inngest/embedded/crash-fixture.ts"), tmp, logFile],
      {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdout.on("data", (d) => {
      stdout += d;
      if (killAfterMs !== null && !timer && stdout.includes("ready")) {
        timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === "SIGKILL") resolve({ outcome: "killed", killAfterMs: killAfterMs ?? undefined });
      else if (code === 0 && stdout.includes("done")) resolve({ outcome: "done" });
      else reject(new Error(`fixture exited ${code}: ${stderr}`));
    });
  });
}

describe(`executor crash recovery (${testDbKind()})`, () => {
  it("finishes a run killed at 20 random points, never re-running a recorded step", async () => {
    let env: Record<string, string> = { DATABASE_URL: "" };
    let open = () => openDb({ dataDir: path.join(tmp, "pglite") });
    if (testDbKind() === "postgres") {
      const handle = await openTestDb();
      cleanups.push(() => handle.close());
      const url = handle.url!;
      env = { DATABASE_URL: url };
      open = () => openDb({ url });
    }
    const logFile = path.join(tmp, "side-effects.log");
    const random = mulberry32(20261125);
    const generations: Generation[] = [];
    for (let i = 0; i < 20; i++) {
      const generation = await runGeneration(env, logFile, Math.floor(random() * 120));
      generations.push(generation);
      if (generation.outcome === "done") break;
    }
    if (generations.at(-1)?.outcome !== "done") generations.push(await runGeneration(env, logFile, null));
    expect(generations.filter((g) => g.outcome === "killed").length).toBe(20);

    const handle = await open();
    try {
      const [run] = await handle.db.select().from(engineRuns);
      expect(run?.status).toBe("completed");
      expect(run?.output).toBe(24);
      const steps = await handle.db.select().from(engineSteps);
      expect(steps).toHaveLength(24);
      const lines = fs
        .readFileSync(logFile, "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const [name, at] = line.split(" ");
          return { name: name!, at: Number(at) };
        });
      for (const step of steps) {
        const runs = lines.filter((l) => l.name === step.name);
        expect(runs.length, `${step.name} ran`).toBeGreaterThanOrEqual(1);
        const afterRecorded = runs.filter((l) => l.at > step.endedAt.getTime());
        expect(afterRecorded, `${step.name} ran again after its result was recorded`).toEqual([]);
      }
    } finally {
      await handle.close();
    }
  }, 600_000);
});
