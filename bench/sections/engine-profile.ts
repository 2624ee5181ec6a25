/**
 * Profiling harness for the `engine` bench section (not part of `npm run bench`): runs one
 * sequential or parallel bench function on PGlite (or DATABASE_URL) and prints its wall time, so it
 * can be run under `node --cpu-prof --import tsx bench/sections/engine-profile.ts [sequential|parallel] [runs]`.
 */
import { openDb } from "@/lib/db";
import { engineBenchExecutor, timeEngineRun } from "./engine";

async function main() {
  const kind = process.argv[2] === "parallel" ? "parallel" : "sequential";
  const runs = Number(process.argv[3] ?? 1);
  const handle = await openDb(
    process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: "memory://" },
  );
  const executor = await engineBenchExecutor(handle);
  try {
    for (let i = 0; i < runs; i++) {
      const ms = await timeEngineRun(executor, handle, kind);
      process.stdout.write(`${kind} run ${i}: ${ms.toFixed(0)} ms\n`);
    }
  } finally {
    await executor.stop();
    await handle.close();
  }
}

void main();
