/**
 * The `@fal-ai/client` queue client shared by the fal image and video providers, and the mapping
 * of fal failures onto `ProviderError` (fal-js libs/client/src/response.ts: `ApiError{ status,
 * body }`, `ValidationError` for 422 with Pydantic `detail` items; https://fal.ai/docs/model-apis/errors).
 * fal has no base-URL option: a `requestMiddleware` rewrites `https://queue.fal.run` when
 * KADR_FAL_BASE_URL is set (proxies, tests).
 */
import { ApiError, createFalClient, type FalClient, ValidationError } from "@fal-ai/client";
import { classifyHttpFailure, ProviderError, transientFailure } from "../errors";

/** Human name used in user-facing messages. */
export const FAL_LABEL = "fal";
/** Setting named by authentication failures. */
export const FAL_KEY_SETTING = "FAL_KEY";
/** The origin fal's client sends queue requests to. */
export const FAL_QUEUE_ORIGIN = "https://queue.fal.run";

/** Connection settings of the fal client. */
export interface FalConnection {
  /** FAL_KEY ("key-id:key-secret"). */
  key: string;
  /** KADR_FAL_BASE_URL: an origin replacing https://queue.fal.run. */
  baseUrl?: string;
}

/** Response headers of failed fal calls, kept for their retry hints (see `falResponseHandler`). */
const failureHeaders = new WeakMap<object, Headers>();

/**
 * fal-js's default response handler (libs/client/src/response.ts `defaultResponseHandler`, not
 * exported) plus one thing: the headers of a failed response are remembered for the `ApiError`
 * it throws, so `fromFalError` can pass a `Retry-After` hint on. fal does not document one; the
 * SDK ignores it. The queue's result fetch uses fal-js's own handler, so its failures carry none.
 */
async function falResponseHandler(response: Response): Promise<unknown> {
  const contentType = response.headers.get("content-type") ?? "";
  if (!response.ok) {
    const json = contentType.includes("application/json");
    const body = json ? ((await response.json().catch(() => undefined)) as { message?: string }) : undefined;
    const init = {
      message: json
        ? body?.message || response.statusText
        : `HTTP ${response.status}: ${response.statusText}`,
      status: response.status,
      body,
      requestId: response.headers.get("x-fal-request-id") ?? undefined,
      timeoutType: response.headers.get("x-fal-request-timeout-type") ?? undefined,
    };
    const err = response.status === 422 && json ? new ValidationError(init) : new ApiError(init);
    failureHeaders.set(err, response.headers);
    throw err;
  }
  if (contentType.includes("application/json")) return response.json();
  if (contentType.includes("application/octet-stream")) return response.arrayBuffer();
  return response.text();
}

/**
 * Builds a fal client (https://docs.fal.ai/model-endpoints/queue). Its queue calls retry
 * 429/502/503/504 themselves (3 times from 1 s; status checks 5 times, also on 500) — fal-js
 * queue.ts hard-codes those policies.
 */
export function createFal(connection: FalConnection): FalClient {
  const base = connection.baseUrl?.replace(/\/$/, "");
  return createFalClient({
    credentials: connection.key,
    responseHandler: falResponseHandler,
    requestMiddleware: async (request) =>
      base && request.url.startsWith(FAL_QUEUE_ORIGIN)
        ? { ...request, url: `${base}${request.url.slice(FAL_QUEUE_ORIGIN.length)}` }
        : request,
  });
}

interface DetailItem {
  loc?: unknown[];
  msg?: unknown;
  type?: unknown;
}

/** fal's reason: the `detail` string, or each detail item as "field: msg". */
function reasonOf(body: unknown): string | undefined {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  if (typeof detail === "string") return detail;
  if (!Array.isArray(detail)) return undefined;
  return (detail as DetailItem[])
    .map(
      (d) => `${Array.isArray(d.loc) ? d.loc.filter((l) => l !== "body").join(".") : "?"}: ${String(d.msg)}`,
    )
    .join("; ");
}

/**
 * Classifies an error thrown by `@fal-ai/client`: a `content_policy_violation` detail → safety;
 * other statuses via `classifyHttpFailure` (401/403 auth on FAL_KEY, 429/5xx retriable — with the
 * response's `Retry-After` when it had one —, 422 and other 4xx invalid with fal's detail);
 * network errors → retriable.
 */
export function fromFalError(err: unknown): unknown {
  if (err instanceof ProviderError) return err;
  if (err instanceof ApiError) {
    const detail = (err.body as { detail?: unknown } | undefined)?.detail;
    if (
      Array.isArray(detail) &&
      (detail as DetailItem[]).some((d) => d.type === "content_policy_violation")
    ) {
      return new ProviderError({
        kind: "safety",
        provider: FAL_LABEL,
        status: err.status,
        reason: "content_policy_violation",
        cause: err,
      });
    }
    const reason = reasonOf(err.body) ?? err.message;
    return classifyHttpFailure({
      provider: FAL_LABEL,
      setting: FAL_KEY_SETTING,
      status: err.status,
      headers: failureHeaders.get(err),
      reason,
      code: reason,
      cause: err,
    });
  }
  if (err instanceof TypeError || err instanceof SyntaxError)
    return transientFailure(FAL_LABEL, err.message, err);
  return err;
}
