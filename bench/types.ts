/**
 * The benchmark contract (planning repo shared/BENCH.md): every section returns rows; the runner
 * writes them to bench/out/report.json and bench/out/report.md.
 */
export interface BenchRow {
  section: string;
  /** snake_case metric name with its unit suffix, e.g. "smart_native_s". */
  name: string;
  value: number;
  /** "s", "ms", "kB", "x", … */
  unit: string;
  /** Human goal such as "<= 2"; empty when the row is informational. */
  goal: string;
  ok: boolean;
  note: string;
}

/** A bench section: measures on this machine and returns its rows (ok: false with a reason when it cannot run). */
export type BenchSection = () => Promise<BenchRow[]>;

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `fn` `runs` times and returns each duration in milliseconds. */
export async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}
