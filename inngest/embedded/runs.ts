/**
 * Read models of the embedded executor's state for the Runs page: runs by function and status, and
 * one run's timeline of steps (start/end, attempts, output or error, truncated) and pending waits.
 */
import { and, asc, desc, eq, ne, type SQL } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { type EngineRunStatus, engineRuns, engineSteps, engineWaits } from "@/lib/db/schema";
import { ATTEMPT_OP } from "./executor";

/** Longest serialized output or error shown per step, in characters. */
export const MAX_SHOWN_CHARS = 2_000;

export interface RunSummary {
  id: string;
  functionId: string;
  eventName: string;
  status: EngineRunStatus;
  startedAt: Date;
  endedAt: Date | null;
}

export interface StepView {
  name: string;
  op: string;
  startedAt: Date | null;
  endedAt: Date;
  attempts: number;
  /** JSON of the output, or of the error, cut at MAX_SHOWN_CHARS with "…". */
  output: string | null;
  error: string | null;
}

export interface RunDetail extends RunSummary {
  event: Record<string, unknown>;
  output: string | null;
  error: string | null;
  steps: StepView[];
  /** What the run is suspended on: an event (with its match expression), a sleep, or an invoked run. */
  waits: { kind: string; eventName: string; expression: string | null; until: Date }[];
}

function shown(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = JSON.stringify(value);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}

/** Newest runs first, optionally of one function and/or status; at most `limit` (≤ 200). */
export async function listRuns(
  db: Db,
  filter: { functionId?: string; status?: EngineRunStatus; limit?: number } = {},
): Promise<RunSummary[]> {
  const conditions: SQL[] = [];
  if (filter.functionId) conditions.push(eq(engineRuns.functionId, filter.functionId));
  if (filter.status) conditions.push(eq(engineRuns.status, filter.status));
  const rows = await db
    .select()
    .from(engineRuns)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(engineRuns.startedAt))
    .limit(Math.min(filter.limit ?? 50, 200));
  return rows.map((r) => ({
    id: r.id,
    functionId: r.functionId,
    eventName: String(r.event.name ?? ""),
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
  }));
}

/**
 * One run with its step timeline (memoized results only, not the attempt counters of steps being
 * retried) and pending waits, or undefined for an unknown id.
 */
export async function getRunDetail(db: Db, runId: string): Promise<RunDetail | undefined> {
  const [run] = await db.select().from(engineRuns).where(eq(engineRuns.id, runId));
  if (!run) return undefined;
  const steps = await db
    .select()
    .from(engineSteps)
    .where(and(eq(engineSteps.runId, runId), ne(engineSteps.op, ATTEMPT_OP)))
    .orderBy(asc(engineSteps.seq));
  const waits = await db.select().from(engineWaits).where(eq(engineWaits.runId, runId));
  return {
    id: run.id,
    functionId: run.functionId,
    eventName: String(run.event.name ?? ""),
    status: run.status,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    event: run.event,
    output: shown(run.output),
    error: shown(run.error),
    steps: steps.map((s) => ({
      name: s.name ?? s.hashedId,
      op: s.op,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      attempts: s.attempts,
      output: "data" in s.result ? shown(s.result.data) : null,
      error: "error" in s.result ? shown(s.result.error) : null,
    })),
    waits: waits.map((w) => ({
      kind: w.kind,
      eventName: w.eventName,
      expression: w.expression,
      until: w.expiresAt,
    })),
  };
}
