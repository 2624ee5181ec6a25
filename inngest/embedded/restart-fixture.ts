/**
 * Child process for the restart test: starts three runs on the embedded executor against a
 * database that survives the process (PGlite dir, or DATABASE_URL) — one inside step.sleep, one
 * inside a step.waitForEvent with a short timeout, one waiting for an event that will be sent only
 * after the restart — prints "ready" once all three are suspended, and then idles until the test
 * SIGKILLs it. Each step appends `<function>-<step> <epoch ms>` to a log file as its side effect.
 * Usage: node --import tsx restart-fixture.ts <dataDir> <logFile>
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Inngest } from "inngest";
import { serve } from "inngest/next";
import { openDb } from "@/lib/db";
import { embeddedClientOptions, embeddedSigningKey } from "./bridge";
import { EmbeddedExecutor, toServeHandler } from "./executor";

/**
 * Long enough for the test to kill this process and open the database (a PGlite dir takes seconds
 * to open on a loaded machine) well before the deadlines.
 */
export const SLEEP = "12s";
export const SLEEP_MS = 12_000;
export const WAIT_TIMEOUT = "12s";

/** The test's functions, the same in the fixture and in the test process that restarts them. */
export function restartFunctions(logFile: string) {
  const client = new Inngest({ id: "restart", ...embeddedClientOptions() });
  const sideEffect = (name: string) => {
    const at = Date.now();
    fs.appendFileSync(logFile, `${name} ${at}\n`);
    return at;
  };
  const sleeper = client.createFunction(
    { id: "sleeper", triggers: [{ event: "restart/sleeper" }] },
    async ({ step }) => {
      const before = await step.run("before", () => sideEffect("sleeper-before"));
      await step.sleep("nap", SLEEP);
      const after = await step.run("after", () => sideEffect("sleeper-after"));
      return { before, after };
    },
  );
  const timeout = client.createFunction(
    { id: "timeout", triggers: [{ event: "restart/timeout" }] },
    async ({ step }) => {
      await step.run("before", () => sideEffect("timeout-before"));
      const got = await step.waitForEvent("wait-short", { event: "restart/never", timeout: WAIT_TIMEOUT });
      await step.run("after", () => sideEffect("timeout-after"));
      return { got };
    },
  );
  const matcher = client.createFunction(
    { id: "matcher", triggers: [{ event: "restart/matcher" }] },
    async ({ step }) => {
      await step.run("before", () => sideEffect("matcher-before"));
      const got = await step.waitForEvent("wait-go", {
        event: "restart/go",
        match: "data.key",
        timeout: "1h",
      });
      await step.run("after", () => sideEffect("matcher-after"));
      return { got: got?.data ?? null };
    },
  );
  return { client, functions: [sleeper, timeout, matcher] };
}

async function main(dataDir: string, logFile: string) {
  const handle = await openDb(
    process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: path.join(dataDir, "pglite") },
  );
  const { client, functions } = restartFunctions(logFile);
  const executor = new EmbeddedExecutor({
    db: handle.db,
    signingKey: embeddedSigningKey(),
    handler: toServeHandler(serve({ client, functions })),
    pollIntervalMs: 50,
  });
  await executor.start("http://127.0.0.1:3000/api/inngest");
  await client.send([
    { name: "restart/sleeper", id: "sleeper-run", data: {} },
    { name: "restart/timeout", id: "timeout-run", data: {} },
    { name: "restart/matcher", id: "matcher-run", data: { key: "m1" } },
  ]);
  for (;;) {
    const runs = await handle.db.query.engineRuns.findMany();
    const waits = await handle.db.query.engineWaits.findMany();
    if (runs.length === 3 && runs.every((r) => r.status === "waiting") && waits.length === 3) break;
    if (runs.some((r) => r.status !== "running" && r.status !== "waiting"))
      throw new Error(`a run ended early: ${JSON.stringify(runs)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write("ready\n");
  setInterval(() => {}, 60_000);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dataDir, logFile] = process.argv.slice(2);
  if (!dataDir || !logFile) throw new Error("usage: restart-fixture.ts <dataDir> <logFile>");
  main(dataDir, logFile).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
