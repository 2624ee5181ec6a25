"use client";

/**
 * The Runs page: the embedded executor's runs by function and status, and one run's timeline —
 * each step as a bar on the run's time axis with its attempts and output or error (truncated),
 * what a suspended run waits for, and Cancel / Replay. Reads /api/v1/runs (engine admins only) and
 * refreshes every 2 s while a run is open or running; nothing else polls.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import type { RunDetailJson, RunSummaryJson } from "@/lib/http/runs-json";
import {
  cardClass,
  EmptyState,
  ErrorNote,
  ghostButton,
  primaryButton,
  Skeleton,
  Spinner,
} from "../storyboard/ui";

const STATUSES = ["running", "waiting", "completed", "failed", "cancelled"] as const;
type RunStatus = (typeof STATUSES)[number];

const STATUS_STYLE: Record<RunStatus, string> = {
  running: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200",
  waiting: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200",
  completed: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200",
  failed: "bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-200",
  cancelled: "bg-neutral-200 text-neutral-700 dark:bg-neutral-800 dark:text-neutral-300",
};

async function call<T>(path: string, method: "GET" | "POST" = "GET"): Promise<T> {
  const response = await fetch(path, { method, cache: "no-store" });
  const body = (await response.json().catch(() => null)) as (T & { message?: string }) | null;
  if (!response.ok) throw new Error(body?.message ?? `Request failed (HTTP ${response.status})`);
  return body as T;
}

function RunStatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status]}`}>{status}</span>
  );
}

function seconds(from: string, to: string | null): string {
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One run's step timeline: bars positioned on the run's own time axis. */
function Timeline({ run }: { run: RunDetailJson }) {
  const start = Date.parse(run.startedAt);
  const end = Math.max(
    run.endedAt ? Date.parse(run.endedAt) : Date.now(),
    ...run.steps.map((s) => Date.parse(s.endedAt)),
    start + 1,
  );
  const span = end - start;
  if (!run.steps.length) return <p className="text-sm text-muted">No step has finished yet.</p>;
  return (
    <ol className="space-y-1.5" aria-label="Step timeline">
      {run.steps.map((step) => {
        const from = Date.parse(step.startedAt ?? step.endedAt);
        const left = ((from - start) / span) * 100;
        const width = Math.max(0.8, ((Date.parse(step.endedAt) - from) / span) * 100);
        return (
          <li key={step.name} className="grid grid-cols-[minmax(8rem,14rem)_1fr] items-center gap-3 text-sm">
            <div className="min-w-0">
              <p className="truncate font-medium" title={step.name}>
                {step.name}
              </p>
              <p className="truncate text-xs text-muted">
                {step.op}
                {step.attempts > 1 ? ` · ${step.attempts} attempts` : ""}
                {step.startedAt ? ` · ${seconds(step.startedAt, step.endedAt)}` : ""}
              </p>
            </div>
            <div className="relative h-5 rounded bg-neutral-100 dark:bg-neutral-900">
              <div
                className={`absolute inset-y-0 rounded ${step.error ? "bg-rose-500" : "bg-indigo-500"}`}
                style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }}
                title={step.error ?? step.output ?? ""}
              />
            </div>
          </li>
        );
      })}
    </ol>
  );
}

function RunDetailPanel({ runId, onChanged }: { runId: string; onChanged: () => void }) {
  const [run, setRun] = useState<RunDetailJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"cancel" | "replay" | null>(null);
  const load = useCallback(() => {
    call<RunDetailJson>(`/api/v1/runs/${runId}`).then(setRun, (e: Error) => setError(e.message));
  }, [runId]);
  useEffect(() => {
    setRun(null);
    load();
  }, [load]);
  useEffect(() => {
    if (!run || (run.status !== "running" && run.status !== "waiting")) return;
    const timer = setInterval(load, 2000);
    return () => clearInterval(timer);
  }, [run, load]);

  const act = async (action: "cancel" | "replay") => {
    setBusy(action);
    try {
      await call(`/api/v1/runs/${runId}/${action}`, "POST");
      load();
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  if (error) return <ErrorNote onRetry={load}>{error}</ErrorNote>;
  if (!run) return <Skeleton className="h-64" />;
  const open = run.status === "running" || run.status === "waiting";
  return (
    <section className={`${cardClass} space-y-4 p-5`} aria-label={`Run ${run.id}`}>
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 className="truncate text-lg font-semibold">{run.functionId}</h2>
          <p className="text-sm text-muted">
            {run.eventName} · started {new Date(run.startedAt).toLocaleString()} ·{" "}
            {seconds(run.startedAt, run.endedAt)}
          </p>
        </div>
        <div className="flex items-center gap-2">
          <RunStatusBadge status={run.status} />
          {open && (
            <button
              type="button"
              className={ghostButton}
              onClick={() => act("cancel")}
              disabled={busy !== null}
            >
              {busy === "cancel" && <Spinner />}Cancel run
            </button>
          )}
          {!open && (
            <button
              type="button"
              className={primaryButton}
              onClick={() => act("replay")}
              disabled={busy !== null}
            >
              {busy === "replay" && <Spinner />}Replay
            </button>
          )}
        </div>
      </header>
      {run.waits.length > 0 && (
        <div className="rounded-xl bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
          {run.waits.map((w) => (
            <p key={`${w.kind}-${w.eventName}-${w.until}`}>
              Waiting for {w.kind === "event" ? <code>{w.eventName}</code> : w.kind}
              {w.expression ? (
                <>
                  {" "}
                  where <code>{w.expression}</code>
                </>
              ) : null}{" "}
              until {new Date(w.until).toLocaleString()}
            </p>
          ))}
        </div>
      )}
      <Timeline run={run} />
      {run.error && (
        <pre className="overflow-x-auto rounded-xl bg-rose-50 p-3 text-xs text-rose-900 dark:bg-rose-950 dark:text-rose-100">
          {run.error}
        </pre>
      )}
      {run.output && (
        <pre className="overflow-x-auto rounded-xl bg-neutral-100 p-3 text-xs dark:bg-neutral-900">
          {run.output}
        </pre>
      )}
    </section>
  );
}

/** The Runs page: filters, the run list, and the selected run's detail. */
export function RunsPage() {
  const [runs, setRuns] = useState<RunSummaryJson[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<RunStatus | "">("");
  const [fn, setFn] = useState("");
  const [selected, setSelected] = useState<string | null>(null);

  const load = useCallback(() => {
    const query = new URLSearchParams();
    if (status) query.set("status", status);
    if (fn) query.set("function", fn);
    call<{ runs: RunSummaryJson[] }>(`/api/v1/runs?${query}`).then(
      (r) => {
        setRuns(r.runs);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [status, fn]);
  useEffect(load, [load]);
  useEffect(() => {
    if (!runs?.some((r) => r.status === "running" || r.status === "waiting")) return;
    const timer = setInterval(load, 2000);
    return () => clearInterval(timer);
  }, [runs, load]);

  const functions = useMemo(() => [...new Set((runs ?? []).map((r) => r.functionId))].sort(), [runs]);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h1 className="text-xl font-semibold">Runs</h1>
        <div className="flex flex-wrap gap-2">
          <label className="text-sm">
            <span className="sr-only">Function</span>
            <select
              aria-label="Function"
              className="rounded-lg border border-line bg-surface px-2 py-1.5"
              value={fn}
              onChange={(e) => setFn(e.target.value)}
            >
              <option value="">All functions</option>
              {functions.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            <span className="sr-only">Status</span>
            <select
              aria-label="Status"
              className="rounded-lg border border-line bg-surface px-2 py-1.5"
              value={status}
              onChange={(e) => setStatus(e.target.value as RunStatus | "")}
            >
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {error && <ErrorNote onRetry={load}>{error}</ErrorNote>}
      {!runs && !error && <Skeleton className="h-40" />}
      {runs && runs.length === 0 && <EmptyState title="No runs" hint="Runs appear here when a job starts." />}
      <div className="grid gap-4 lg:grid-cols-[minmax(18rem,26rem)_1fr]">
        {runs && runs.length > 0 && (
          <ul className={`${cardClass} divide-y divide-line self-start`} aria-label="Runs">
            {runs.map((r) => (
              <li key={r.id}>
                <button
                  type="button"
                  onClick={() => setSelected(r.id)}
                  className={`flex w-full items-center justify-between gap-3 px-4 py-3 text-left hover:bg-neutral-50 dark:hover:bg-neutral-900 ${selected === r.id ? "bg-neutral-50 dark:bg-neutral-900" : ""}`}
                >
                  <span className="min-w-0">
                    <span className="block truncate text-sm font-medium">{r.functionId}</span>
                    <span className="block truncate text-xs text-muted">
                      {r.eventName} · {new Date(r.startedAt).toLocaleTimeString()} ·{" "}
                      {seconds(r.startedAt, r.endedAt)}
                    </span>
                  </span>
                  <RunStatusBadge status={r.status} />
                </button>
              </li>
            ))}
          </ul>
        )}
        {selected && <RunDetailPanel runId={selected} onChanged={load} />}
      </div>
    </div>
  );
}
