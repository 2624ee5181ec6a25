/** Every bench section by name (shared/BENCH.md). Each section lives in its own file. */
import type { BenchSection } from "../types";
import { runDedupBench } from "./dedup";
import { runEngineBench } from "./engine";

export const SECTIONS: Record<string, BenchSection> = {
  engine: runEngineBench,
  dedup: runDedupBench,
};
