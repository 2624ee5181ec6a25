/**
 * Child process for the executor crash test: runs one multi-step function on the embedded executor
 * against a database that survives the process (PGlite dir, or DATABASE_URL), appending a line
 * `<step> <epoch ms>` to a log file as each step's side effect. Prints "ready" once the executor
 * runs and "done" when the run completed; the test SIGKILLs it at random points in between.
 * Usage: node --import tsx crash-fixture.ts <dataDir> <logFile>
 */
import fs from "node:fs";
import path from "node:path";
import { Inngest } from "inngest";
import { serve } from "inngest/next";
import { openDb } from "@/lib/db";
import { embeddedClientOptions, embeddedSigningKey } from "./bridge";
import { EmbeddedExecutor, toServeHandler } from "./executor";

const [dataDir, logFile] = process.argv.slice(2);
if (!dataDir || !logFile) throw new Error("usage: crash-fixture.ts <dataDir> <logFile>");

const client = new Inngest({ id: "crash", ...embeddedClientOptions() });

async function sideEffect(name: string): Promise<string> {
  fs.appendFileSync(logFile!, `${name} ${Date.now()}\n`);
  await new Promise((r) => setTimeout(r, 100));
  return name;
}

const flow = client.createFunction(
  { id: "flow", retries: 5, triggers: [{ event: "crash/start" }] },
  async ({ step }) => {
    const done: string[] = [];
    for (let i = 0; i < 10; i++) done.push(await step.run(`seq-${i}`, () => sideEffect(`seq-${i}`)));
    done.push(
      ...(await Promise.all(
        Array.from({ length: 8 }, (_, i) => step.run(`par-${i}`, () => sideEffect(`par-${i}`))),
      )),
    );
    for (let i = 0; i < 6; i++) done.push(await step.run(`tail-${i}`, () => sideEffect(`tail-${i}`)));
    return done.length;
  },
);

async function main() {
  const handle = await openDb(
    process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: path.join(dataDir!, "pglite") },
  );
  const executor = new EmbeddedExecutor({
    db: handle.db,
    signingKey: embeddedSigningKey(),
    handler: toServeHandler(serve({ client, functions: [flow] })),
    backoffBaseMs: 50,
    pollIntervalMs: 50,
  });
  await executor.start("http://127.0.0.1:3000/api/inngest");
  await client.send({ name: "crash/start", id: "crash-run", data: {} });
  process.stdout.write("ready\n");
  for (;;) {
    const run = (await handle.db.query.engineRuns.findMany()).find((r) => r.eventId === "crash-run");
    if (run?.status === "completed") break;
    if (run?.status === "failed") throw new Error(`run failed: ${JSON.stringify(run.error)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write("done\n");
  await executor.stop();
  await handle.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
