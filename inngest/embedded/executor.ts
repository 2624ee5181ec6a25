/**
 * The embedded Inngest executor: a single-process stand-in for the Inngest server that drives the
 * app's own `serve()` handler over the SDK's HTTP protocol, with all run state in the app database.
 *
 * Protocol (Inngest SDK spec, https://github.com/inngest/inngest/blob/main/docs/SDK_SPEC.md, and the
 * SDK's InngestCommHandler): the executor POSTs `?fnId=<fn>&stepId=step` with
 * `{ event, events, steps, ctx: { run_id, fn_id, qi_id, attempt, max_attempts, stack }, version }`,
 * signed with `X-Inngest-Signature: t=<unix s>&s=<hex HMAC-SHA256(key, body + t)>`. The SDK replays
 * the function against the memoized `steps` and answers:
 *  - 200 + the function's return value: the run is complete;
 *  - 206 + opcodes: `StepRun` (a step ran; memoize its data), `StepError` (retriable step error),
 *    `StepFailed` (final step error; memoize `{ error }`), `StepPlanned` (parallel steps: run each
 *    with `stepId=<hashed id>`), `WaitForEvent` (suspend until a matching event or the timeout),
 *    `RunComplete` (the run is complete; its `data` is the output);
 *  - 4xx/5xx + a serialized error: the function threw; `x-inngest-no-retry: true` means final.
 *
 * Async checkpointing (inngest v4 `StepMode.AsyncCheckpointing`, on by default; chosen by the SDK
 * when `ctx.fn_id` is set, no step is requested and `disable_immediate_execution` is false): inside
 * one discovery request the SDK runs each new sequential step at once, POSTs it to
 * `<baseUrl>/v1/checkpoint/<run id>/async` (served here through ./bridge → `checkpoint`), and on
 * a 200 goes on to the next step, so a run of N sequential steps costs one request (until the SDK's
 * 10 s `maxRuntime`, after which it returns the next step as `StepPlanned`) instead of N requests
 * that each replay the function. A 409 tells the SDK its request is stale (run cancelled or executor
 * stopping) and makes it stop after the step it just ran.
 *
 * Parallel steps (`StepPlanned`) are requested one per request, each with the memo as of planning;
 * their results are written in shared multi-row inserts (`stepBatchMs`), and their failed attempts
 * are counted durably (ATTEMPT_OP rows), so a restart resumes a step's count and backoff.
 *
 * Guarantees: a memoized step never runs again (a result is written to the database before the SDK
 * is told to go on, by the checkpoint's answer or by the next request); a step that was in flight
 * when the process died, or whose result was still waiting to be written with others', runs again
 * on restart (at-least-once), so Kadr's steps are idempotent.
 *
 * Supported: step.run (sequential and Promise.all-parallel), step.waitForEvent (`match`/`if` in
 * the CEL subset of ./expression, timeout → null), step.sleep / sleepUntil, step.invoke,
 * step.sendEvent, retries with exponential backoff, NonRetriableError, RetryAfterError, `cancelOn`,
 * `onFailure`, and event-id idempotency. Anything else fails the run with a clear error.
 */

import { createHash, createHmac } from "node:crypto";
import canonicalize from "canonicalize";
import { and, asc, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { ulid } from "ulid";
import type { Db } from "@/lib/db";
import { engineEvents, engineFunctions, engineRuns, engineSteps, engineWaits } from "@/lib/db/schema";
import type { CheckpointPayload, EmbeddedApi, RegisterPayload } from "./bridge";
import { installEmbeddedExecutor, installedExecutor } from "./bridge";
import { compileExpression, compileKeyExpression } from "./expression";

/** The app's serve() handler as a fetch-style function (in-process transport). */
export type ServeHandler = (request: Request) => Promise<Response>;

/** The method exports of an Inngest `serve()` (e.g. from `inngest/next`). */
export interface ServeExports {
  GET: (...args: never[]) => unknown;
  POST: (...args: never[]) => unknown;
  PUT: (...args: never[]) => unknown;
}

/** Adapts `serve()`'s per-method exports to one fetch-style handler. */
export function toServeHandler(serveExports: ServeExports): ServeHandler {
  return (request) => {
    const method = request.method as keyof ServeExports;
    const fn = serveExports[method] as unknown as (req: Request) => Promise<Response>;
    if (!fn) return Promise.resolve(new Response("Method not allowed", { status: 405 }));
    return fn(request);
  };
}

export interface EmbeddedExecutorOptions {
  db: Db;
  /** Signing key shared with serve(); requests are signed with it. */
  signingKey: string;
  /** In-process serve() handler; when absent, step requests go over HTTP to the registered URL. */
  handler?: ServeHandler;
  /**
   * Let the SDK run sequential steps inside one request and checkpoint each through the client's
   * API (`ctx.fn_id` is sent). The checkpoints reach this executor through the bridge only when the
   * SDK runs in this process, so the default is true with `handler` and false without.
   */
  checkpointing?: boolean;
  /** How many SDK requests (step executions) may be in flight at once. Default 4. */
  parallelism?: number;
  /** How often due runs and expired waits are looked for, in ms. Default 200. */
  pollIntervalMs?: number;
  /**
   * Longest time in ms a finished parallel step's result may wait to be written together with
   * other parallel steps' results (one multi-row insert instead of one per step) while other
   * parallel steps are still running. Such a result is not recorded yet: if the process dies in
   * that window the step runs again (at-least-once). 0 writes each result at once. Default 20.
   */
  stepBatchMs?: number;
  /**
   * First retry delay in ms, doubled per attempt up to `backoffMaxMs`, then ±20 % jitter (see
   * backoffDelayMs). Default 1000.
   */
  backoffBaseMs?: number;
  /** Cap of the retry delay before jitter, in ms. Default 60 000. */
  backoffMaxMs?: number;
  /** Receives one line per notable executor event. */
  log?: (message: string, data?: Record<string, unknown>) => void;
}

interface ConcurrencyConfig {
  limit: number;
  key?: string;
  scope?: "fn" | "env" | "account";
}

interface FunctionConfig {
  id: string;
  concurrency?: number | ConcurrencyConfig | ConcurrencyConfig[];
  triggers?: { event?: string; expression?: string; cron?: string }[];
  steps?: Record<string, { runtime?: { url?: string }; retries?: { attempts?: number } }>;
  cancel?: { event: string; if?: string; timeout?: string }[];
}

interface OutgoingOp {
  op: string;
  id: string;
  name?: string;
  displayName?: string;
  data?: unknown;
  error?: unknown;
  opts?: Record<string, unknown>;
}

type Run = typeof engineRuns.$inferSelect;
type Memo = {
  ids: string[];
  steps: Record<string, { type: "data"; data: unknown } | { type: "error"; error: unknown }>;
  /** Failed attempts of parallel steps without a result yet, by hashed step id (see ATTEMPT_OP). */
  retries: Record<string, StepRetryState>;
};

/** A parallel step's failed attempts so far, and when (epoch ms) its next attempt may start. */
interface StepRetryState {
  attempts: number;
  retryAt: number;
}

/**
 * Op of the engine_steps row that keeps a parallel step's attempt counter durable while it is
 * retried: hashed id `attempts:<hashed step id>`, result `{ data: StepRetryState }`. It is not a
 * memoized result (loadMemo and the Runs page skip it) and is deleted once the step's result is
 * recorded. (A dedicated column or table would be cleaner; this needs no schema change.)
 */
export const ATTEMPT_OP = "StepAttempt";
const attemptRowId = (hashedId: string) => `attempts:${hashedId}`;
/**
 * Outcome of one SDK request. `stale` is set when the request was superseded while it ran: its run
 * was finished (e.g. cancelled; ignore the answer) or the executor is stopping (keep step results
 * only).
 */
type CallResult = {
  status: number;
  headers: Headers;
  body: unknown;
  startedAt: Date;
  stale: Dispatch["stale"];
};
type StepRow = typeof engineSteps.$inferInsert;

/**
 * One discovery request in flight, known to the checkpoint endpoint by its token (`ctx.qi_id`).
 * `stale`: "stopped" (record what the SDK reports, then stop it) or "finished" (the run is final;
 * record nothing). `lastAt` is when the previous step of the request ended (the next one's start).
 */
interface Dispatch {
  runId: string;
  attempt: number;
  lastAt: Date;
  /** The memo the request was sent; checkpointed steps are added to it once recorded. */
  memo: Memo;
  stale?: "stopped" | "finished";
}

/**
 * Executors started in this process, by instance id (the prefix of their dispatch tokens). The
 * bridge hands every checkpoint to the installed executor, which passes one for another live
 * executor's request on to it (two executors in one process, e.g. one started before the other
 * stopped). On globalThis so that duplicated module instances (bundles) share it.
 */
const liveKey = Symbol.for("kadr.embeddedExecutors");
function liveExecutors(): Map<string, EmbeddedExecutor> {
  const g = globalThis as typeof globalThis & { [liveKey]?: Map<string, EmbeddedExecutor> };
  g[liveKey] ??= new Map();
  return g[liveKey];
}

const FINAL_RUN_STATUSES = ["completed", "failed", "cancelled"] as const;
const DEFAULT_RETRIES = 3;
const MAX_BACKOFF_MS = 60_000;

/** Parses Inngest duration strings like "30s", "5m", "1h30m", "7d" into milliseconds. */
export function parseDurationMs(value: string): number {
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
  };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
  let matched = "";
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0];
  }
  if (!matched || matched !== value.replace(/\s+/g, ""))
    throw new Error(`Unsupported duration: ${JSON.stringify(value)}`);
  return total;
}

/**
 * The delay before retry number `attempt + 1` (attempt 0 = after the first failure): `baseMs`
 * doubled per attempt, capped at `maxMs`, times a jitter factor in [0.8, 1.2) drawn from `random`.
 * So every delay lies in [0.8, 1.2) × min(baseMs × 2^attempt, maxMs), rounded to whole ms.
 */
export function backoffDelayMs(
  attempt: number,
  baseMs = 1000,
  maxMs = MAX_BACKOFF_MS,
  random: () => number = Math.random,
): number {
  const base = Math.min(baseMs * 2 ** attempt, maxMs);
  return Math.round(base * (0.8 + random() * 0.4));
}

/** An error value as the SDK expects it in memoized `{ error }` results (name + message). */
function serializeFailure(error: unknown, fallback: string): { name: string; message: string } {
  if (error && typeof error === "object" && "message" in error) {
    const e = error as { name?: unknown; message?: unknown };
    return { name: String(e.name ?? "Error"), message: String(e.message) };
  }
  return { name: "Error", message: fallback };
}

/**
 * The bearer token the SDK sends to the API with a signing key (`hashSigningKey` in
 * node_modules/inngest/helpers/strings.js): the `signkey-<env>-` prefix, then the hex SHA-256 of
 * the key's hex-decoded bytes (decoded like hash.js does: non-alphanumerics dropped, odd length
 * left-padded with "0", invalid pairs as 0).
 */
export function hashedSigningKey(signingKey: string): string {
  const prefix = /^signkey-[\w]+-/.exec(signingKey)?.[0] ?? "";
  let hex = signingKey.slice(prefix.length).replace(/[^a-z0-9]+/gi, "");
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.alloc(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16) || 0;
  return `${prefix}${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Adds a recorded step result to an in-memory memo (in recording order, as loadMemo reads it). */
function remember(memo: Memo, row: StepRow) {
  if (memo.steps[row.hashedId]) return;
  memo.ids.push(row.hashedId);
  memo.steps[row.hashedId] =
    "error" in row.result
      ? { type: "error", error: row.result.error }
      : { type: "data", data: row.result.data };
}

/** An op's memoizable result: `{ data }` for StepRun/Step, `{ error }` for StepFailed, else null. */
function opResult(op: OutgoingOp): { data: unknown } | { error: unknown } | null {
  if (op.op === "StepRun" || op.op === "Step") return { data: op.data ?? null };
  if (op.op === "StepFailed") return { error: op.error };
  return null;
}

/** Signs a request body the way the SDK verifies it (HMAC-SHA256 over body + timestamp). */
export function signRequest(
  body: string,
  signingKey: string,
  nowSeconds = Math.round(Date.now() / 1000),
): string {
  const key = signingKey.replace(/^signkey-[\w]+-/, "");
  const mac = createHmac("sha256", key).update(body).update(String(nowSeconds)).digest("hex");
  return `t=${nowSeconds}&s=${mac}`;
}

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EmbeddedExecutor implements EmbeddedApi {
  private readonly db: Db;
  private readonly slots: Semaphore;
  /** Concurrency-limit semaphores by "<scope>|<function or *>|<key value>". */
  private readonly concurrency = new Map<string, Semaphore>();
  private readonly active = new Set<string>();
  private functions = new Map<string, { url: string; config: FunctionConfig }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = true;
  private readonly drivers = new Set<Promise<void>>();
  /** Discovery requests in flight, by token (`ctx.qi_id`). */
  private readonly dispatches = new Map<string, Dispatch>();
  /** Callbacks of `waitForRun` calls, by run id; called when this process finishes the run. */
  private readonly finishWaiters = new Map<string, Set<() => void>>();
  /** Step rows waiting for the next multi-row insert (group commit), with their callers. */
  private stepQueue: { rows: StepRow[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushingSteps = false;
  private stepBatchTimer: NodeJS.Timeout | undefined;
  /** Parallel-step requests in flight (sent, result not yet queued). */
  private plannedInFlight = 0;
  private readonly bearer: string;
  private readonly checkpointing: boolean;
  /** Makes dispatch tokens (`ctx.qi_id`) unique across executors: `<instance>-<request count>`. */
  private readonly instance = ulid();
  private requestCount = 0;

  constructor(private readonly options: EmbeddedExecutorOptions) {
    this.db = options.db;
    this.slots = new Semaphore(options.parallelism ?? 4);
    this.bearer = `Bearer ${hashedSigningKey(options.signingKey)}`;
    this.checkpointing = options.checkpointing ?? options.handler !== undefined;
  }

  /**
   * Installs this executor as the target of the Inngest client in this process, syncs the app's
   * functions through `serve()` (PUT, as the Inngest server would), and starts driving runs,
   * resuming every run a previous process left unfinished.
   * @param serveUrl the URL serve() is mounted at (recorded as the functions' step URL).
   */
  async start(serveUrl: string): Promise<void> {
    installEmbeddedExecutor(this);
    liveExecutors().set(this.instance, this);
    this.stopped = false;
    const response = await this.send(new Request(serveUrl, { method: "PUT" }), serveUrl);
    if (!response.ok)
      throw new Error(`Function sync failed: HTTP ${response.status} ${await response.text()}`);
    await this.loadFunctions();
    this.timer = setInterval(() => void this.tick(), this.options.pollIntervalMs ?? 200);
    await this.tick();
  }

  /**
   * Stops polling and waits for in-flight drivers to reach a safe point: a request that is running
   * sequential steps has the step it reports next recorded and is then told to stop (409).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const dispatch of this.dispatches.values()) dispatch.stale ??= "stopped";
    await Promise.allSettled([...this.drivers]);
    liveExecutors().delete(this.instance);
    if (installedExecutor() === this) installEmbeddedExecutor(undefined);
  }

  /** Records the function configs a sync sends (called through the client's fetch). */
  async register(payload: RegisterPayload): Promise<void> {
    for (const fn of payload.functions) {
      const config = fn as unknown as FunctionConfig;
      const url = config.steps?.step?.runtime?.url ?? payload.url;
      await this.db
        .insert(engineFunctions)
        .values({ id: config.id, appId: payload.appName, url, config: fn })
        .onConflictDoUpdate({ target: engineFunctions.id, set: { url, config: fn, updatedAt: new Date() } });
    }
    await this.loadFunctions();
  }

  /**
   * Receives events (from `inngest.send()` or `step.sendEvent`). An event whose id was seen before
   * is ignored. Starts triggered runs, resolves matching waits, and cancels matching runs.
   * @returns the event ids, in order.
   */
  async ingest(events: Record<string, unknown>[]): Promise<string[]> {
    const ids: string[] = [];
    for (const raw of events) {
      const id = typeof raw.id === "string" && raw.id ? raw.id : ulid();
      const name = String(raw.name ?? "");
      if (!name) throw new Error("Event has no name");
      const event = { ...raw, id, name, data: raw.data ?? {}, ts: raw.ts ?? Date.now() };
      ids.push(id);
      const inserted = await this.db
        .insert(engineEvents)
        .values({ id, name, payload: event })
        .onConflictDoNothing()
        .returning({ seq: engineEvents.seq });
      if (inserted.length === 0) continue;
      await this.dispatch(event);
    }
    return ids;
  }

  /**
   * Cancels a running or waiting run (the Runs page's Cancel button).
   * @returns false when the run is unknown or already final.
   */
  async cancelRun(runId: string): Promise<boolean> {
    const [run] = await this.db
      .select({ status: engineRuns.status })
      .from(engineRuns)
      .where(eq(engineRuns.id, runId));
    if (!run || !["running", "waiting"].includes(run.status)) return false;
    await this.finishRun(runId, "cancelled", { output: null });
    return true;
  }

  /**
   * Replays a finished run: a new run of the same function with the same event (memo empty).
   * @returns the new run id, or undefined for an unknown run.
   */
  async replayRun(runId: string): Promise<string | undefined> {
    const [run] = await this.db.select().from(engineRuns).where(eq(engineRuns.id, runId));
    if (!run) return undefined;
    const id = ulid();
    await this.db.insert(engineRuns).values({
      id,
      functionId: run.functionId,
      eventId: `${run.eventId}:replay:${id}`,
      event: run.event,
      status: "running",
    });
    this.log("run replayed", { runId, replayId: id });
    this.kick(id);
    return id;
  }

  /**
   * Receives an async checkpoint (`POST /v1/checkpoint/<run id>/async`, sent by the SDK's
   * `InngestApi.checkpointStepsAsync` after each step it ran inside a discovery request) and
   * records its steps before answering, so the SDK runs the next step only once this one is durable.
   * A checkpoint of another live executor's request (token prefix) is passed on to that executor.
   * @param authorization the request's Authorization header: `Bearer <hashedSigningKey(key)>`.
   * @returns 200 once recorded; 401 for a wrong token; 409 when the request is stale (unknown
   *   token, other run, run finished, or executor stopping: the SDK then stops running steps);
   *   400 for an op other than StepRun/StepFailed (the SDK then returns its steps in the response).
   */
  async checkpoint(
    runId: string,
    payload: CheckpointPayload,
    authorization: string | null,
  ): Promise<{ status: number; body: unknown }> {
    const owner = payload.qi_id
      ? liveExecutors().get(payload.qi_id.slice(0, payload.qi_id.lastIndexOf("-")))
      : undefined;
    if (owner && owner !== this) return owner.checkpoint(runId, payload, authorization);
    if (authorization !== this.bearer) return { status: 401, body: { error: "Unauthorized", status: 401 } };
    const dispatch = payload.qi_id ? this.dispatches.get(payload.qi_id) : undefined;
    if (!dispatch || dispatch.runId !== runId || dispatch.stale === "finished") {
      return { status: 409, body: { error: "Stale dispatch", status: 409 } };
    }
    const rows: StepRow[] = [];
    for (const raw of payload.steps ?? []) {
      const op = raw as unknown as OutgoingOp;
      const result = opResult(op);
      if (!result) {
        return { status: 400, body: { error: `Cannot checkpoint a ${op.op} op`, status: 400 } };
      }
      rows.push(this.stepRow(runId, op, result, dispatch.attempt + 1, dispatch.lastAt));
    }
    await this.recordSteps(rows);
    for (const row of rows) remember(dispatch.memo, row);
    dispatch.lastAt = new Date();
    if (dispatch.stale) return { status: 409, body: { error: "The executor is stopping", status: 409 } };
    return { status: 200, body: { ok: true } };
  }

  /**
   * Resolves when the run reaches a final status; returns the run row. Wakes at once when this
   * process finishes the run, and polls the database every `pollMs` ms for runs finished elsewhere.
   */
  async waitForRun(runId: string, pollMs = 100): Promise<Run> {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, pollMs);
      });
      const waiters = this.finishWaiters.get(runId) ?? new Set();
      this.finishWaiters.set(runId, waiters);
      waiters.add(wake);
      try {
        const [run] = await this.db.select().from(engineRuns).where(eq(engineRuns.id, runId));
        if (run && (FINAL_RUN_STATUSES as readonly string[]).includes(run.status)) return run;
        await woken;
      } finally {
        clearTimeout(timer);
        waiters.delete(wake);
        if (!waiters.size && this.finishWaiters.get(runId) === waiters) this.finishWaiters.delete(runId);
      }
    }
  }

  private log(message: string, data?: Record<string, unknown>) {
    this.options.log?.(message, data);
  }

  private async loadFunctions() {
    const rows = await this.db.select().from(engineFunctions);
    this.functions = new Map(
      rows.map((r) => [r.id, { url: r.url, config: r.config as unknown as FunctionConfig }]),
    );
  }

  private async dispatch(event: Record<string, unknown> & { id: string; name: string }) {
    for (const [functionId, { config }] of this.functions) {
      const triggered = (config.triggers ?? []).some(
        (t) => t.event === event.name && (!t.expression || compileExpression(t.expression)({ event })),
      );
      if (triggered) {
        const runId = ulid();
        const created = await this.db
          .insert(engineRuns)
          .values({ id: runId, functionId, eventId: event.id, event, status: "running" })
          .onConflictDoNothing()
          .returning({ id: engineRuns.id });
        if (created.length) {
          this.log("run started", { runId, functionId, event: event.name });
          this.kick(runId);
        }
      }
      for (const cancel of config.cancel ?? []) {
        if (cancel.event !== event.name) continue;
        const predicate = cancel.if ? compileExpression(cancel.if) : () => true;
        const open = await this.db
          .select()
          .from(engineRuns)
          .where(
            and(eq(engineRuns.functionId, functionId), inArray(engineRuns.status, ["running", "waiting"])),
          );
        for (const run of open) {
          if (predicate({ event: run.event, async: event }))
            await this.finishRun(run.id, "cancelled", { output: null });
        }
      }
    }
    const waits = await this.db
      .select()
      .from(engineWaits)
      .where(and(eq(engineWaits.kind, "event"), eq(engineWaits.eventName, event.name)));
    for (const wait of waits) {
      const [run] = await this.db.select().from(engineRuns).where(eq(engineRuns.id, wait.runId));
      if (!run) continue;
      if (!wait.expression || compileExpression(wait.expression)({ event: run.event, async: event })) {
        await this.resolveWait(wait.id, { data: event });
      }
    }
  }

  /** Memoizes a wait's result (event, null on timeout, sleep end, invoked output) and wakes its run. */
  private async resolveWait(waitId: number, result: { data: unknown } | { error: unknown }) {
    await this.db.transaction(async (tx) => {
      const [wait] = await tx.delete(engineWaits).where(eq(engineWaits.id, waitId)).returning();
      if (!wait) return;
      const op = { event: "WaitForEvent", sleep: "Sleep", invoke: "InvokeFunction" }[wait.kind];
      await tx
        .insert(engineSteps)
        .values({ runId: wait.runId, hashedId: wait.hashedId, name: wait.stepName, op, result })
        .onConflictDoNothing();
      await tx
        .update(engineRuns)
        .set({ status: "running", wakeAt: null })
        .where(and(eq(engineRuns.id, wait.runId), eq(engineRuns.status, "waiting")));
    });
    void this.tick();
  }

  private kick(runId: string) {
    if (this.stopped || this.active.has(runId)) return;
    this.active.add(runId);
    const driver = this.drive(runId)
      .catch((err) => this.log("driver crashed", { runId, error: String(err) }))
      .finally(() => {
        this.active.delete(runId);
        this.drivers.delete(driver);
      });
    this.drivers.add(driver);
  }

  private async tick() {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const now = new Date();
      const expired = await this.db.select().from(engineWaits).where(lte(engineWaits.expiresAt, now));
      for (const wait of expired) await this.resolveWait(wait.id, this.expiryResult(wait));
      const due = await this.db
        .select({ id: engineRuns.id })
        .from(engineRuns)
        .where(
          and(eq(engineRuns.status, "running"), or(isNull(engineRuns.wakeAt), lte(engineRuns.wakeAt, now))),
        );
      for (const { id } of due) this.kick(id);
    } catch (err) {
      this.log("tick failed", { error: String(err) });
    } finally {
      this.ticking = false;
    }
  }

  private async loadRun(runId: string): Promise<Run | undefined> {
    const [run] = await this.db.select().from(engineRuns).where(eq(engineRuns.id, runId));
    return run;
  }

  private async loadMemo(runId: string): Promise<Memo> {
    const rows = await this.db
      .select()
      .from(engineSteps)
      .where(eq(engineSteps.runId, runId))
      .orderBy(asc(engineSteps.seq));
    const memo: Memo = { ids: [], steps: {}, retries: {} };
    for (const row of rows) {
      if (row.op === ATTEMPT_OP) {
        if ("data" in row.result)
          memo.retries[row.hashedId.slice("attempts:".length)] = row.result.data as StepRetryState;
        continue;
      }
      memo.ids.push(row.hashedId);
      memo.steps[row.hashedId] =
        "error" in row.result
          ? { type: "error", error: row.result.error }
          : { type: "data", data: row.result.data };
    }
    return memo;
  }

  private maxAttempts(functionId: string): number {
    const retries = this.functions.get(functionId)?.config.steps?.step?.retries?.attempts;
    return (retries ?? DEFAULT_RETRIES) + 1;
  }

  private backoffMs(attempt: number, retryAfter: string | null): number {
    if (retryAfter) {
      const seconds = Number(retryAfter);
      const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
      if (ms >= 0) return ms;
    }
    return backoffDelayMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs);
  }

  /** Sends one request to serve(): in-process when a handler is given, over HTTP otherwise. */
  private async send(request: Request, url: string): Promise<Response> {
    if (this.options.handler) return this.options.handler(request);
    return fetch(url, request);
  }

  private async call(run: Run, memo: Memo, stepId: string, attempt: number): Promise<CallResult> {
    const fn = this.functions.get(run.functionId);
    if (!fn) throw new Error(`Function ${run.functionId} is not registered`);
    const url = new URL(fn.url);
    url.searchParams.set("fnId", run.functionId);
    url.searchParams.set("stepId", stepId);
    const token = `${this.instance}-${++this.requestCount}`;
    const startedAt = new Date();
    const dispatch: Dispatch = { runId: run.id, attempt, lastAt: startedAt, memo };
    const body = canonicalize({
      event: run.event,
      events: [run.event],
      steps: memo.steps,
      ctx: {
        run_id: run.id,
        ...(this.checkpointing ? { fn_id: run.functionId, qi_id: token } : {}),
        attempt,
        max_attempts: this.maxAttempts(run.functionId),
        disable_immediate_execution: stepId !== "step",
        use_api: false,
        stack: { stack: memo.ids, current: memo.ids.length },
      },
      version: 2,
    }) as string;
    const request = new Request(url, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-inngest-signature": signRequest(body, this.options.signingKey),
        "x-inngest-server-kind": "cloud",
      },
    });
    this.dispatches.set(token, dispatch);
    let response: Response;
    let text: string;
    try {
      response = await this.withConcurrency(run, () => this.slots.use(() => this.send(request, url.href)));
      text = await response.text();
    } finally {
      this.dispatches.delete(token);
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // A non-JSON body is kept as text; it is reported as the error.
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed,
      startedAt: dispatch.lastAt,
      stale: dispatch.stale,
    };
  }

  /**
   * Runs `work` (one SDK request, so at most one step) inside every concurrency limit of the run's
   * function (https://www.inngest.com/docs/guides/concurrency): per function, or per key value
   * (`key: "event.data.userId"`), at function or account scope. Limits are taken in a fixed
   * order, so two runs never wait on each other's limits.
   */
  private async withConcurrency<T>(run: Run, work: () => Promise<T>): Promise<T> {
    const config = this.functions.get(run.functionId)?.config.concurrency;
    const limits = (Array.isArray(config) ? config : config === undefined ? [] : [config]).map((c) =>
      typeof c === "number" ? { limit: c } : c,
    );
    const semaphores = limits
      .filter((c) => c.limit > 0)
      .map((c) => {
        const keyValue = c.key ? compileKeyExpression(c.key)({ event: run.event }) : "";
        const scope = c.key && c.scope && c.scope !== "fn" ? `${c.scope}|*|${c.key}` : `fn|${run.functionId}`;
        const id = `${scope}|${keyValue}`;
        let semaphore = this.concurrency.get(id);
        if (!semaphore) {
          semaphore = new Semaphore(c.limit);
          this.concurrency.set(id, semaphore);
        }
        return { id, semaphore };
      })
      .sort((a, b) => a.id.localeCompare(b.id));
    const acquire = (i: number): Promise<T> =>
      i === semaphores.length ? work() : semaphores[i]!.semaphore.use(() => acquire(i + 1));
    return acquire(0);
  }

  private stepRow(
    runId: string,
    op: OutgoingOp,
    result: { data: unknown } | { error: unknown },
    attempts: number,
    startedAt: Date,
  ): StepRow {
    return {
      runId,
      hashedId: op.id,
      name: op.displayName ?? op.name ?? null,
      op: op.op,
      result,
      attempts,
      startedAt,
    };
  }

  /**
   * Records step results (a result already recorded for the same run and step is kept); resolves
   * once the caller's rows are written. Rows queued while an insert is in flight go into the next
   * one (group commit). With `batch` (parallel steps' results), rows wait up to `stepBatchMs` for
   * results of parallel steps still running, and are written at once when none is.
   * @throws the database error of its rows' insert.
   */
  private recordSteps(rows: StepRow[], batch = false): Promise<void> {
    if (!rows.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.stepQueue.push({ rows, resolve, reject });
      const lingerMs = this.options.stepBatchMs ?? 20;
      if (!batch || this.plannedInFlight === 0 || lingerMs <= 0) void this.flushSteps();
      else this.stepBatchTimer ??= setTimeout(() => void this.flushSteps(), lingerMs);
    });
  }

  private async flushSteps() {
    clearTimeout(this.stepBatchTimer);
    this.stepBatchTimer = undefined;
    if (this.flushingSteps) return;
    this.flushingSteps = true;
    try {
      while (this.stepQueue.length) {
        const batch = this.stepQueue;
        this.stepQueue = [];
        const insert = (rows: StepRow[]) => this.db.insert(engineSteps).values(rows).onConflictDoNothing();
        try {
          await insert(batch.flatMap((b) => b.rows));
          for (const b of batch) b.resolve();
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One caller's bad rows must not fail the others: write each caller's rows on its own.
          for (const b of batch) await insert(b.rows).then(b.resolve, b.reject);
        }
      }
    } finally {
      this.flushingSteps = false;
    }
  }

  private async finishRun(
    runId: string,
    status: "completed" | "failed" | "cancelled",
    outcome: { output?: unknown; error?: unknown },
  ) {
    const updated = await this.db
      .update(engineRuns)
      .set({
        status,
        output: outcome.output ?? null,
        error: outcome.error ?? null,
        endedAt: new Date(),
        wakeAt: null,
      })
      .where(and(eq(engineRuns.id, runId), inArray(engineRuns.status, ["running", "waiting"])))
      .returning();
    await this.db.delete(engineWaits).where(eq(engineWaits.runId, runId));
    const run = updated[0];
    if (!run) return;
    for (const dispatch of this.dispatches.values())
      if (dispatch.runId === runId) dispatch.stale = "finished";
    for (const wake of this.finishWaiters.get(runId) ?? []) wake();
    this.log(`run ${status}`, { runId, functionId: run.functionId });
    const parents = await this.db.select().from(engineWaits).where(eq(engineWaits.invokedRunId, runId));
    for (const wait of parents) {
      await this.resolveWait(
        wait.id,
        status === "completed"
          ? { data: outcome.output ?? null }
          : { error: serializeFailure(outcome.error, `The invoked function was ${status}`) },
      );
    }
    if (status === "failed") {
      await this.ingest([
        {
          name: "inngest/function.failed",
          id: `failed-${runId}`,
          data: { function_id: run.functionId, run_id: runId, error: outcome.error, event: run.event },
        },
      ]);
    }
  }

  /** Drives one run until it completes, fails, suspends on a wait, or backs off for a retry. */
  private async drive(runId: string): Promise<void> {
    // The memo is read once and then kept up to date with every result this driver records; it is
    // read again only when someone else may have written a result (a wait resolved meanwhile).
    let cached: Memo | undefined;
    while (!this.stopped) {
      const run = await this.loadRun(runId);
      if (run?.status !== "running") return;
      if (run.wakeAt && run.wakeAt > new Date()) return;
      cached ??= await this.loadMemo(runId);
      const memo = cached;
      const result = await this.call(run, memo, "step", run.attempt);
      if (result.stale) {
        // A 206 while stopping is a genuine answer (a 409-stopped SDK answers 400): keep its results.
        if (result.stale === "stopped" && result.status === 206) {
          const ops = (Array.isArray(result.body) ? result.body : [result.body]) as OutgoingOp[];
          await this.recordSteps(
            ops.flatMap((op) => {
              const stepResult = opResult(op);
              return stepResult
                ? [this.stepRow(runId, op, stepResult, run.attempt + 1, result.startedAt)]
                : [];
            }),
          );
        }
        return;
      }
      if ((await this.loadRun(runId))?.status !== "running") return;

      if (result.status === 200) {
        await this.finishRun(runId, "completed", { output: result.body });
        return;
      }
      if (result.status !== 206) {
        const final =
          result.headers.get("x-inngest-no-retry") === "true" ||
          run.attempt + 1 >= this.maxAttempts(run.functionId);
        if (final) {
          await this.finishRun(runId, "failed", { error: result.body });
        } else {
          await this.scheduleRetry(run, result.headers.get("retry-after"));
        }
        return;
      }

      const ops = (Array.isArray(result.body) ? result.body : [result.body]) as OutgoingOp[];
      const planned: OutgoingOp[] = [];
      let suspended = false;
      // Step results are written in one insert, before anything that acts on what follows them.
      const results: StepRow[] = [];
      const flush = async () => {
        const rows = results.splice(0);
        await this.recordSteps(rows);
        for (const row of rows) remember(memo, row);
      };
      for (const op of ops) {
        const stepResult = opResult(op);
        if (stepResult) {
          results.push(this.stepRow(runId, op, stepResult, run.attempt + 1, result.startedAt));
          continue;
        }
        await flush();
        switch (op.op) {
          case "StepError":
            await this.scheduleRetry(run, result.headers.get("retry-after"));
            return;
          case "StepPlanned":
            planned.push(op);
            break;
          case "WaitForEvent":
            await this.registerWait(run, op);
            suspended = true;
            break;
          case "Sleep":
            await this.registerSleep(run, op);
            suspended = true;
            break;
          case "InvokeFunction":
            await this.registerInvoke(run, op);
            suspended = true;
            break;
          case "RunComplete":
            await this.finishRun(runId, "completed", { output: op.data ?? null });
            return;
          default:
            await this.finishRun(runId, "failed", {
              error: { name: "Error", message: `The embedded executor does not support the ${op.op} opcode` },
            });
            return;
        }
      }
      await flush();
      if ((!suspended || planned.length) && run.attempt !== 0) {
        await this.db.update(engineRuns).set({ attempt: 0 }).where(eq(engineRuns.id, runId));
      }
      if (planned.length) {
        // Every planned step is requested with the memo as it was when the steps were planned:
        // siblings' results would only make the SDK replay more without changing what it runs.
        const requestMemo: Memo = { ids: [...memo.ids], steps: { ...memo.steps }, retries: {} };
        await Promise.all(planned.map((op) => this.executePlanned(run, memo, requestMemo, op)));
        continue;
      }
      if (suspended) {
        // Suspend only while a wait is still pending; a wait resolved meanwhile means: replay now.
        const suspendedRows = await this.db
          .update(engineRuns)
          .set({ status: "waiting" })
          .where(
            and(
              eq(engineRuns.id, runId),
              eq(engineRuns.status, "running"),
              sql`exists (select 1 from ${engineWaits} where ${engineWaits.runId} = ${runId})`,
            ),
          )
          .returning({ id: engineRuns.id });
        if (suspendedRows.length) return;
        cached = undefined;
      }
    }
  }

  private async scheduleRetry(run: Run, retryAfter: string | null) {
    const delay = this.backoffMs(run.attempt, retryAfter);
    this.log("retry scheduled", { runId: run.id, attempt: run.attempt + 1, delayMs: delay });
    await this.db
      .update(engineRuns)
      .set({ attempt: run.attempt + 1, wakeAt: new Date(Date.now() + delay) })
      .where(eq(engineRuns.id, run.id));
  }

  /**
   * Runs one planned (parallel) step to a memoized result, retrying it with backoff; requests are
   * sent with `requestMemo`, recorded results are added to `memo`. Its failed
   * attempts and the time of its next attempt are recorded before the backoff (an ATTEMPT_OP
   * row), so a restarted executor resumes the count and the wait instead of starting over.
   */
  private async executePlanned(run: Run, memo: Memo, requestMemo: Memo, op: OutgoingOp): Promise<void> {
    const maxAttempts = this.maxAttempts(run.functionId);
    const retry = memo.retries[op.id];
    // At least one attempt, and the last one as such (the SDK then reports StepFailed).
    let attempt = Math.min(retry?.attempts ?? 0, maxAttempts - 1);
    if (retry && retry.retryAt > Date.now()) await sleep(retry.retryAt - Date.now());
    for (; attempt < maxAttempts && !this.stopped; attempt++) {
      this.plannedInFlight++;
      let result: CallResult;
      try {
        result = await this.call(run, requestMemo, op.id, attempt);
      } finally {
        this.plannedInFlight--;
      }
      if (result.stale === "finished") return;
      const [step] = (Array.isArray(result.body) ? result.body : [result.body]) as OutgoingOp[];
      const stepResult = result.status === 206 && step ? opResult(step) : null;
      const final =
        stepResult ??
        (result.headers.get("x-inngest-no-retry") === "true" && step?.op !== "StepError"
          ? { error: result.body }
          : null);
      if (final) {
        const row = this.stepRow(run.id, stepResult ? step! : op, final, attempt + 1, result.startedAt);
        await this.recordSteps([row], true);
        remember(memo, row);
        delete memo.retries[op.id];
        if (retry || attempt > 0) {
          await this.db
            .delete(engineSteps)
            .where(and(eq(engineSteps.runId, run.id), eq(engineSteps.hashedId, attemptRowId(op.id))));
        }
        return;
      }
      // Results queued to be written with this one's must not wait for a retry's backoff.
      if (this.plannedInFlight === 0 && this.stepQueue.length) void this.flushSteps();
      const delay = this.backoffMs(attempt, result.headers.get("retry-after"));
      const state: StepRetryState = { attempts: attempt + 1, retryAt: Date.now() + delay };
      await this.db
        .insert(engineSteps)
        .values({
          runId: run.id,
          hashedId: attemptRowId(op.id),
          name: null,
          op: ATTEMPT_OP,
          result: { data: state },
          attempts: state.attempts,
          startedAt: result.startedAt,
        })
        .onConflictDoUpdate({
          target: [engineSteps.runId, engineSteps.hashedId],
          set: { result: { data: state }, attempts: state.attempts, endedAt: new Date() },
        });
      this.log("step retry", {
        runId: run.id,
        step: op.displayName ?? op.id,
        attempt: attempt + 1,
        delayMs: delay,
      });
      await sleep(delay);
    }
  }

  /** What a wait resolves to when its time is up: null for an event wait or a sleep, an error for an invoke. */
  private expiryResult(wait: typeof engineWaits.$inferSelect): { data: unknown } | { error: unknown } {
    if (wait.kind === "invoke") {
      return {
        error: { name: "InngestInvokeTimeoutError", message: "Timed out waiting for the invoked function" },
      };
    }
    return { data: null };
  }

  /**
   * Registers a step.sleep / sleepUntil: the op's `name` is a duration ("30s", "1h") or an ISO
   * date; the wait expires then and memoizes null.
   */
  private async registerSleep(run: Run, op: OutgoingOp) {
    const until = String(op.name ?? "");
    const wakeAt = /^\d{4}-\d{2}-\d{2}T/.test(until)
      ? new Date(until)
      : new Date(Date.now() + parseDurationMs(until));
    if (Number.isNaN(wakeAt.getTime())) throw new Error(`Unsupported sleep: ${JSON.stringify(until)}`);
    await this.insertWait(run, op, { kind: "sleep", eventName: "", expiresAt: wakeAt });
  }

  /**
   * Registers a step.invoke: starts a run of `opts.function_id` with an `inngest/function.invoked`
   * event carrying the payload's data; the child's output (or failure) becomes the step's result.
   */
  private async registerInvoke(run: Run, op: OutgoingOp) {
    const opts = (op.opts ?? {}) as { function_id?: string; payload?: { data?: unknown }; timeout?: string };
    const functionId = String(opts.function_id ?? "");
    if (!this.functions.has(functionId))
      throw new Error(`step.invoke: function ${functionId} is not registered`);
    const eventId = `invoke-${run.id}-${op.id}`;
    const event = {
      name: "inngest/function.invoked",
      id: eventId,
      data: opts.payload?.data ?? {},
      ts: Date.now(),
    };
    await this.db
      .insert(engineRuns)
      .values({ id: ulid(), functionId, eventId, event, status: "running" })
      .onConflictDoNothing();
    const [child] = await this.db
      .select({ id: engineRuns.id })
      .from(engineRuns)
      .where(and(eq(engineRuns.functionId, functionId), eq(engineRuns.eventId, eventId)));
    const timeout = opts.timeout ? parseDurationMs(opts.timeout) : 365 * 86_400_000;
    await this.insertWait(run, op, {
      kind: "invoke",
      eventName: "",
      invokedRunId: child!.id,
      expiresAt: new Date(Date.now() + timeout),
    });
    this.kick(child!.id);
  }

  /** Inserts a wait unless the step's result is already memoized. */
  private async insertWait(
    run: Run,
    op: OutgoingOp,
    wait: Omit<typeof engineWaits.$inferInsert, "runId" | "hashedId">,
  ): Promise<void> {
    const inserted = await this.db
      .insert(engineWaits)
      .values({ ...wait, runId: run.id, hashedId: op.id, stepName: op.displayName ?? op.name ?? null })
      .onConflictDoNothing()
      .returning({ id: engineWaits.id });
    // The SDK may report a wait again from a memo read just before the wait was resolved: a wait
    // whose result is already memoized must not be registered a second time.
    const [memoized] = await this.db
      .select({ seq: engineSteps.seq })
      .from(engineSteps)
      .where(and(eq(engineSteps.runId, run.id), eq(engineSteps.hashedId, op.id)));
    if (memoized && inserted[0]) await this.db.delete(engineWaits).where(eq(engineWaits.id, inserted[0].id));
  }

  /**
   * Registers a step.waitForEvent. As in Inngest, only events received after this point match;
   * the wait's timeout (an Inngest duration such as "7d") resolves it to null.
   */
  private async registerWait(run: Run, op: OutgoingOp) {
    const opts = op.opts ?? {};
    const eventName = String(opts.event ?? op.name ?? "");
    const expression = typeof opts.if === "string" ? opts.if : null;
    if (expression) compileExpression(expression);
    const timeout = typeof opts.timeout === "string" ? parseDurationMs(opts.timeout) : 365 * 86_400_000;
    await this.insertWait(run, op, {
      kind: "event",
      eventName,
      expression,
      expiresAt: new Date(Date.now() + timeout),
    });
  }
}
