import { bigserial, index, integer, jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";

/**
 * Tables of the embedded Inngest executor (inngest/embedded/). They hold what the Inngest server
 * holds: registered functions, received events, runs, memoized step results and pending waits,
 * so a killed process resumes every unfinished run from its last recorded step.
 */

/** Function configs as registered by the SDK's serve() handler (the sync payload). */
export const engineFunctions = pgTable("engine_functions", {
  /** Composite id "<appId>-<functionId>", as the SDK reports it. */
  id: text("id").primaryKey(),
  appId: text("app_id").notNull(),
  /** URL of the serve() endpoint the step requests go to. */
  url: text("url").notNull(),
  config: jsonb("config").$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Every event received; `id` is the event id, so sending the same id twice is a no-op. */
export const engineEvents = pgTable(
  "engine_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: text("id").notNull().unique(),
    name: text("name").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("engine_events_name_idx").on(t.name)],
);

export type EngineRunStatus = "running" | "waiting" | "completed" | "failed" | "cancelled";

/** One execution of a function, triggered by one event. */
export const engineRuns = pgTable(
  "engine_runs",
  {
    id: text("id").primaryKey(),
    functionId: text("function_id").notNull(),
    eventId: text("event_id").notNull(),
    event: jsonb("event").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<EngineRunStatus>().notNull(),
    /** Attempt counter for errors thrown outside steps (0-based). */
    attempt: integer("attempt").notNull().default(0),
    output: jsonb("output"),
    error: jsonb("error"),
    /** When a sleeping or backing-off run should be driven again. */
    wakeAt: timestamp("wake_at", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    unique("engine_runs_function_event_unique").on(t.functionId, t.eventId),
    index("engine_runs_status_idx").on(t.status),
  ],
);

/** A memoized step result (data or final error), in completion order (`seq`). */
export const engineSteps = pgTable(
  "engine_steps",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => engineRuns.id, { onDelete: "cascade" }),
    /** The SDK's hashed step id. */
    hashedId: text("hashed_id").notNull(),
    name: text("name"),
    /** Opcode that produced the result: StepRun, StepFailed, WaitForEvent, Sleep. */
    op: text("op").notNull(),
    /** `{ data }` or `{ error }` exactly as sent back to the SDK. */
    result: jsonb("result").$type<{ data: unknown } | { error: unknown }>().notNull(),
    attempts: integer("attempts").notNull().default(1),
    startedAt: timestamp("started_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("engine_steps_run_step_unique").on(t.runId, t.hashedId)],
);

/** What a suspended step waits for: an event, the end of a sleep, or an invoked run. */
export type EngineWaitKind = "event" | "sleep" | "invoke";

/**
 * A run suspended in a step until something happens: a matching event (step.waitForEvent), a
 * point in time (step.sleep / sleepUntil), or the end of an invoked run (step.invoke). `expiresAt`
 * is the wait's timeout, or the wake-up time of a sleep.
 */
export const engineWaits = pgTable(
  "engine_waits",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => engineRuns.id, { onDelete: "cascade" }),
    hashedId: text("hashed_id").notNull(),
    /** The step's name as the SDK reported it (shown on the Runs page once memoized). */
    stepName: text("step_name"),
    kind: text("kind").$type<EngineWaitKind>().notNull().default("event"),
    /** Event name for kind "event"; empty otherwise. */
    eventName: text("event_name").notNull(),
    /** The child run for kind "invoke". */
    invokedRunId: text("invoked_run_id"),
    /** CEL-subset expression over `event` (the run's trigger) and `async` (the candidate). */
    expression: text("expression"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    unique("engine_waits_run_step_unique").on(t.runId, t.hashedId),
    index("engine_waits_event_idx").on(t.eventName),
    index("engine_waits_invoked_idx").on(t.invokedRunId),
  ],
);
