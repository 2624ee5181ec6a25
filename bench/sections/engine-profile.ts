/**
 * Profiling harness for the `engine` bench section (not part of `npm run bench`): runs one
 * sequential or parallel bench function on PGlite (or DATABASE_URL) and prints each run's wall
 * time and CPU time of this process (user + system), then the medians without the first run, in ms.
 * Usage: node [--cpu-prof] --import tsx bench/sections/engine-profile.ts [sequential|parallel] [runs]
 * [parallelism]. With ENGINE_PROFILE=<file>, runs 2.. are CPU-profiled into <file> (.cpuprofile).
 */
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import { openDb } from "@/lib/db";
import { median } from "../types";
import { engineBenchExecutor, timeEngineRun } from "./engine";

async function main() {
  const kind = process.argv[2] === "parallel" ? "parallel" : "sequential";
  const runs = Number(process.argv[3] ?? 1);
  const parallelism = process.argv[4] ? Number(process.argv[4]) : undefined;
  const handle = await openDb(
    process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: "memory://" },
  );
  const executor = await engineBenchExecutor(handle, parallelism);
  try {
    const wall: number[] = [];
    const cpu: number[] = [];
    const session = process.env.ENGINE_PROFILE ? new Session() : undefined;
    for (let i = 0; i < runs; i++) {
      if (session && i === 1) {
        session.connect();
        await session.post("Profiler.enable");
        await session.post("Profiler.start");
      }
      const before = process.cpuUsage();
      wall.push(await timeEngineRun(executor, handle, kind));
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1000);
      process.stdout.write(
        `${kind} run ${i}: ${wall.at(-1)!.toFixed(0)} ms wall, ${cpu.at(-1)!.toFixed(0)} ms CPU\n`,
      );
    }
    if (session) {
      const { profile } = await session.post("Profiler.stop");
      fs.writeFileSync(process.env.ENGINE_PROFILE!, JSON.stringify(profile));
    }
    const rest = (xs: number[]) => median(xs.length > 1 ? xs.slice(1) : xs).toFixed(0);
    process.stdout.write(
      `${kind} median ${rest(wall)} ms wall, ${rest(cpu)} ms CPU (parallelism ${parallelism ?? "default"})\n`,
    );
  } finally {
    await executor.stop();
    await handle.close();
  }
}

void main();
