/** Every bench section by name (shared/BENCH.md). Each section lives in its own file. */
import type { BenchSection } from "../types";

export const SECTIONS: Record<string, BenchSection> = {};
