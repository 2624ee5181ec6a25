/** Every bench section by name (shared/BENCH.md). Each section lives in its own file. */
import type { BenchSection } from "../types";
import { runAssemblyBench } from "./assembly";
import { runDedupBench } from "./dedup";
import { runEngineBench } from "./engine";
import { runPipelineBench } from "./pipeline";
import { runWebBench } from "./web";

export const SECTIONS: Record<string, BenchSection> = {
  assembly: runAssemblyBench,
  engine: runEngineBench,
  dedup: runDedupBench,
  pipeline: runPipelineBench,
  web: runWebBench,
};
