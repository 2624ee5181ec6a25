/**
 * Provider failures in Kadr's words. Every real client turns its SDK's errors into one
 * `ProviderError` with a `kind` the pipeline can act on:
 *
 * - `retriable` — 408/409/429/5xx, timeouts, dropped connections, malformed bodies: try again later,
 *   after `retryAfterSeconds` when the provider sent a hint (`retry-after-ms`, `retry-after`).
 * - `auth` — 401/403, exhausted quota: retrying cannot help; the message names the provider and the
 *   setting to fix (never its value).
 * - `invalid` — 400/404/422: the provider refused this request; the message carries its reason.
 * - `safety` — a moderation refusal: "Blocked by the provider's safety filter".
 *
 * `toInngestError` maps them onto the Inngest SDK's control-flow errors.
 */
import { NonRetriableError, RetryAfterError } from "inngest";

/** What the pipeline should do about a provider failure (see the module comment). */
export type ProviderErrorKind = "retriable" | "auth" | "invalid" | "safety";

/** Delay used for a retriable failure without a hint from the provider, in seconds. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** The user-facing prefix of every safety refusal. */
export const SAFETY_MESSAGE = "Blocked by the provider's safety filter";

/** Fields of a `ProviderError`. */
export interface ProviderErrorInit {
  kind: ProviderErrorKind;
  /** Human name of the provider, e.g. "OpenAI", "Runway", "Google Veo (Vertex AI)". */
  provider: string;
  /** HTTP status of the failed call, when there was one. */
  status?: number;
  /** Provider's retry hint in seconds (retriable only). */
  retryAfterSeconds?: number;
  /** Configuration setting to fix (auth only), e.g. "OPENAI_API_KEY". */
  setting?: string;
  /** Provider's own reason or error code, free of secrets, e.g. "moderation_blocked". */
  reason?: string;
  cause?: unknown;
}

/** A provider failure classified for the pipeline; `message` is safe to show to the user. */
export class ProviderError extends Error {
  override name = "ProviderError";
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly setting: string | undefined;
  readonly reason: string | undefined;

  constructor(init: ProviderErrorInit) {
    super(messageOf(init), { cause: init.cause });
    this.kind = init.kind;
    this.provider = init.provider;
    this.status = init.status;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.setting = init.setting;
    this.reason = init.reason;
  }
}

function messageOf(init: ProviderErrorInit): string {
  const http = init.status ? ` (HTTP ${init.status})` : "";
  const reason = init.reason ? `: ${init.reason}` : "";
  switch (init.kind) {
    case "retriable": {
      const wait =
        init.retryAfterSeconds === undefined ? "" : `; retry in ${formatSeconds(init.retryAfterSeconds)}`;
      return `${init.provider} is temporarily unavailable${http}${reason}${wait}`;
    }
    case "auth":
      return (
        `${init.provider} refused Kadr's access${http}${reason}; ` +
        `check ${init.setting ?? "the provider's credentials"}`
      );
    case "invalid":
      return `${init.provider} rejected the request${http}${reason}`;
    case "safety":
      return `${SAFETY_MESSAGE} (${init.provider}${reason})`;
  }
}

/** Whole seconds, rounded up (at least 1). */
function formatSeconds(seconds: number): string {
  return `${Math.max(1, Math.ceil(seconds))} s`;
}

/** Inputs of `classifyHttpFailure`. */
export interface HttpFailure {
  /** Human name of the provider. */
  provider: string;
  /** Setting named by auth failures, e.g. "RUNWAYML_API_SECRET". */
  setting: string;
  status: number;
  /** Response headers, when known (read for retry hints). */
  headers?: Headers | Record<string, string | string[] | undefined>;
  /** Provider's reason (message or code) for invalid/retriable failures. */
  reason?: string;
  /** Provider's machine error code (e.g. "invalid_api_key"), the only detail auth failures show. */
  code?: string;
  cause?: unknown;
}

/**
 * Classifies an HTTP failure by status: 401/403 → auth (showing only `code`, never the provider's
 * message, which may echo part of a key); 408/409/425/429/5xx → retriable (with the hint from
 * `retryAfterSecondsFrom`); any other status → invalid.
 */
export function classifyHttpFailure(failure: HttpFailure): ProviderError {
  const { provider, setting, status, reason, cause } = failure;
  if (status === 401 || status === 403) {
    return new ProviderError({ kind: "auth", provider, status, setting, reason: failure.code, cause });
  }
  if (status === 408 || status === 409 || status === 425 || status === 429 || status >= 500) {
    const retryAfterSeconds = failure.headers ? retryAfterSecondsFrom(failure.headers) : undefined;
    return new ProviderError({ kind: "retriable", provider, status, reason, retryAfterSeconds, cause });
  }
  return new ProviderError({ kind: "invalid", provider, status, reason, cause });
}

function headerValue(
  headers: Headers | Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(found) ? found[0] : found;
}

/**
 * The provider's retry hint in seconds: `retry-after-ms` (milliseconds, OpenAI/Runway), else
 * `retry-after` (seconds or an HTTP date, RFC 9110 §10.2.3); undefined when absent, unparsable or
 * not positive.
 */
export function retryAfterSecondsFrom(
  headers: Headers | Record<string, string | string[] | undefined>,
  now: number = Date.now(),
): number | undefined {
  const ms = Number(headerValue(headers, "retry-after-ms"));
  if (Number.isFinite(ms) && ms > 0) return ms / 1000;
  const raw = headerValue(headers, "retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) > 0 ? Number(raw) : undefined;
  const date = Date.parse(raw);
  if (Number.isNaN(date) || date <= now) return undefined;
  return Math.ceil((date - now) / 1000);
}

/**
 * A retriable error for a call that never got a usable answer: a dropped connection, a timeout, or a
 * body that is not what the provider documents.
 */
export function transientFailure(provider: string, reason: string, cause?: unknown): ProviderError {
  return new ProviderError({ kind: "retriable", provider, reason, cause });
}

/**
 * Maps an error onto the Inngest SDK (https://www.inngest.com/docs/features/inngest-functions/error-retries/retries):
 * `retriable` → `RetryAfterError` after the provider's hint (default `DEFAULT_RETRY_AFTER_SECONDS`);
 * `auth`, `invalid` and `safety` → `NonRetriableError` (the same request cannot succeed; stages that
 * should mark one segment failed instead catch `invalid`/`safety` before calling this). Any other
 * error is returned unchanged, keeping the function's normal retries.
 *
 * @returns the error to throw from the step.
 */
export function toInngestError(err: unknown): unknown {
  if (!(err instanceof ProviderError)) return err;
  if (err.kind === "retriable") {
    const seconds = err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    return new RetryAfterError(err.message, Math.max(1, Math.ceil(seconds * 1000)), { cause: err });
  }
  return new NonRetriableError(err.message, { cause: err });
}
