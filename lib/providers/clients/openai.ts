/**
 * The `openai` SDK client shared by the OpenAI LLM, image and speech providers, and the mapping of
 * its errors onto `ProviderError` (openai-node src/core/error.ts: APIError carries status, headers
 * and the body's `error.{message,type,code}`; APIConnectionError / APIConnectionTimeoutError have
 * no status).
 */
import OpenAI from "openai";
import { classifyHttpFailure, ProviderError, transientFailure } from "../errors";

/** Human name used in user-facing messages. */
export const OPENAI_LABEL = "OpenAI";
/** Setting named by authentication failures. */
export const OPENAI_KEY_SETTING = "OPENAI_API_KEY";

/** Connection settings of the OpenAI client. */
export interface OpenAiConnection {
  /** OPENAI_API_KEY. */
  apiKey: string;
  /** OPENAI_BASE_URL, e.g. "https://api.openai.com/v1" or any OpenAI-compatible server. */
  baseURL?: string;
  /** SDK retries of 408/409/429/5xx and connection errors (default 2, the SDK's). */
  maxRetries?: number;
  /** Per-request timeout in ms (default 10 minutes, the SDK's). */
  timeoutMs?: number;
}

/** Builds the SDK client (https://github.com/openai/openai-node#usage). */
export function createOpenAiClient(connection: OpenAiConnection): OpenAI {
  return new OpenAI({
    apiKey: connection.apiKey,
    baseURL: connection.baseURL,
    maxRetries: connection.maxRetries,
    timeout: connection.timeoutMs,
  });
}

/**
 * Classifies an error thrown by the `openai` SDK:
 * - `moderation_blocked` (images) → safety;
 * - 429 `insufficient_quota` → auth (billing, not a rate limit: retrying cannot help);
 * - other HTTP statuses → `classifyHttpFailure` (401/403 auth, 429/5xx retriable with the
 *   `retry-after-ms` / `retry-after` hint, other 4xx invalid with OpenAI's message);
 * - connection errors and timeouts, unparsable bodies (SyntaxError), structured output that fails
 *   its schema (ZodError) → retriable.
 * `ProviderError`s pass through; anything else is returned unchanged.
 */
export function fromOpenAiError(err: unknown): unknown {
  if (err instanceof ProviderError) return err;
  if (err instanceof OpenAI.APIConnectionError) return transientFailure(OPENAI_LABEL, err.message, err);
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    if (err.code === "moderation_blocked") {
      return new ProviderError({
        kind: "safety",
        provider: OPENAI_LABEL,
        status: err.status,
        reason: "moderation_blocked",
        cause: err,
      });
    }
    if (err.code === "insufficient_quota") {
      return new ProviderError({
        kind: "auth",
        provider: OPENAI_LABEL,
        status: err.status,
        reason: "insufficient_quota (the account has no credit left)",
        setting: `the billing of the account behind ${OPENAI_KEY_SETTING}`,
        cause: err,
      });
    }
    const body = err.error as { message?: unknown } | undefined;
    const message = typeof body?.message === "string" ? body.message : undefined;
    return classifyHttpFailure({
      provider: OPENAI_LABEL,
      setting: OPENAI_KEY_SETTING,
      status: err.status,
      headers: err.headers,
      reason: message,
      code: err.code ?? undefined,
      cause: err,
    });
  }
  if (err instanceof SyntaxError || (err instanceof Error && err.name === "ZodError")) {
    return transientFailure(OPENAI_LABEL, "malformed response", err);
  }
  return err;
}
