/**
 * The `@runwayml/sdk` client shared by the Runway image and video providers, task polling helpers
 * and the mapping of Runway failures onto `ProviderError` (https://docs.dev.runwayml.com/errors/errors,
 * https://docs.dev.runwayml.com/errors/task-failures; sdk-node src/core/error.ts, where
 * `APIError.error` is the whole JSON body `{ error, issues? }`).
 */
import RunwayML from "@runwayml/sdk";
import type { TaskRetrieveResponse } from "@runwayml/sdk/resources/tasks";
import { classifyHttpFailure, ProviderError, transientFailure } from "../errors";

/** Human name used in user-facing messages. */
export const RUNWAY_LABEL = "Runway";
/** Setting named by authentication failures. */
export const RUNWAY_KEY_SETTING = "RUNWAYML_API_SECRET";
/** Runway asks clients not to poll a task more often than every 5 seconds. */
export const RUNWAY_POLL_INTERVAL_MS = 5000;
/** Longest `promptText` Runway accepts, in UTF-16 code units. */
export const RUNWAY_MAX_PROMPT = 1000;

/** Connection settings of the Runway client. */
export interface RunwayConnection {
  /** RUNWAYML_API_SECRET. */
  apiKey: string;
  /** RUNWAYML_BASE_URL (default https://api.dev.runwayml.com). */
  baseURL?: string;
  /** SDK retries of 408/409/429/5xx and connection errors (default 2). */
  maxRetries?: number;
  /** Per-request timeout in ms (default: the SDK's). */
  timeoutMs?: number;
}

/** Builds the SDK client (https://github.com/runwayml/sdk-node#usage); it sends X-Runway-Version 2024-11-06. */
export function createRunwayClient(connection: RunwayConnection): RunwayML {
  return new RunwayML({
    apiKey: connection.apiKey,
    baseURL: connection.baseURL,
    maxRetries: connection.maxRetries,
    timeout: connection.timeoutMs,
  });
}

/** Runway's reason from an error body: `error` plus each `issues[].path: message`. */
function reasonOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { error, issues } = body as {
    error?: unknown;
    issues?: Array<{ path?: unknown[]; message?: unknown }>;
  };
  const details = Array.isArray(issues)
    ? issues.map((i) => `${Array.isArray(i.path) ? i.path.join(".") : "?"}: ${String(i.message)}`)
    : [];
  const head = typeof error === "string" ? error : undefined;
  return [head, ...details].filter(Boolean).join("; ") || undefined;
}

/**
 * Classifies an error thrown by `@runwayml/sdk`: HTTP statuses via `classifyHttpFailure` (401/403
 * auth on RUNWAYML_API_SECRET, 429/5xx retriable with the retry hint, other 4xx invalid with
 * Runway's `error` and `issues`); connection errors, timeouts and unparsable bodies retriable. `ProviderError`s pass
 * through; anything else is returned unchanged.
 */
export function fromRunwayError(err: unknown): unknown {
  if (err instanceof ProviderError) return err;
  if (err instanceof RunwayML.APIConnectionError) return transientFailure(RUNWAY_LABEL, err.message, err);
  if (err instanceof RunwayML.APIError && err.status !== undefined) {
    const reason = reasonOf(err.error);
    return classifyHttpFailure({
      provider: RUNWAY_LABEL,
      setting: RUNWAY_KEY_SETTING,
      status: err.status,
      headers: err.headers,
      reason,
      code: reason,
      cause: err,
    });
  }
  if (err instanceof SyntaxError) return transientFailure(RUNWAY_LABEL, "malformed response", err);
  return err;
}

/**
 * The error of a task that ended without output: `SAFETY.*` failure codes → safety;
 * `INTERNAL*` (e.g. INTERNAL.BAD_OUTPUT.CODE01, a quality rejection) → retriable; anything else
 * (ASSET.INVALID, INPUT_PREPROCESSING.*) and cancelled tasks → invalid with Runway's failure text.
 */
export function taskFailure(
  task: TaskRetrieveResponse.Failed | TaskRetrieveResponse.Cancelled,
): ProviderError {
  if (task.status === "CANCELLED") {
    return new ProviderError({
      kind: "invalid",
      provider: RUNWAY_LABEL,
      reason: `task ${task.id} was cancelled`,
    });
  }
  const code = task.failureCode ?? "";
  if (code.startsWith("SAFETY"))
    return new ProviderError({ kind: "safety", provider: RUNWAY_LABEL, reason: code });
  const reason = code ? `${task.failure} (${code})` : task.failure;
  if (code.startsWith("INTERNAL")) return transientFailure(RUNWAY_LABEL, reason);
  return new ProviderError({ kind: "invalid", provider: RUNWAY_LABEL, reason });
}

/** `text` cut to Runway's prompt limit (whole code units, no dangling surrogate). */
export function runwayPrompt(text: string): string {
  if (text.length <= RUNWAY_MAX_PROMPT) return text;
  const cut = text.slice(0, RUNWAY_MAX_PROMPT);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
