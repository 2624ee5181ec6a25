/**
 * `@google/genai` clients for Veo — Vertex AI (service-account OAuth via google-auth-library) and
 * the Gemini API (API key) — and the mapping of Google failures onto `ProviderError`
 * (js-genai src/_api_client.ts: `ApiError{ status, message: JSON.stringify(body) }` with the
 * google.rpc body `{"error":{"code","message","status","details"}}`).
 */
import { ApiError, GoogleGenAI } from "@google/genai";
import type { AuthClient } from "google-auth-library";
import { classifyHttpFailure, ProviderError, transientFailure } from "../errors";

/** Human names used in user-facing messages. */
export const VERTEX_LABEL = "Google Veo (Vertex AI)";
export const GEMINI_LABEL = "Google Veo (Gemini API)";
/** Settings named by authentication failures. */
export const VERTEX_AUTH_SETTING =
  "GOOGLE_APPLICATION_CREDENTIALS (a service account with roles/aiplatform.user on GOOGLE_CLOUD_PROJECT)";
export const GEMINI_KEY_SETTING = "GEMINI_API_KEY";
/** OAuth scope Vertex AI needs. */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Connection settings of the Vertex AI client. */
export interface VertexConnection {
  /** GOOGLE_CLOUD_PROJECT. */
  project: string;
  /** GOOGLE_CLOUD_LOCATION, e.g. "us-central1". */
  location: string;
  /** GOOGLE_APPLICATION_CREDENTIALS: path of a service-account key file. */
  keyFile?: string;
  /** A ready auth client instead of `keyFile` (tests: an OAuth2Client with a fixed token). */
  authClient?: AuthClient;
  /** GOOGLE_VERTEX_BASE_URL (default https://{location}-aiplatform.googleapis.com). */
  baseUrl?: string;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
}

/** Connection settings of the Gemini API client. */
export interface GeminiConnection {
  /** GEMINI_API_KEY. */
  apiKey: string;
  /** GOOGLE_GEMINI_BASE_URL (default https://generativelanguage.googleapis.com). */
  baseUrl?: string;
  timeoutMs?: number;
}

/** A Vertex AI client (https://googleapis.github.io/js-genai/ — `vertexai: true`). */
export function createVertexClient(connection: VertexConnection): GoogleGenAI {
  return new GoogleGenAI({
    vertexai: true,
    project: connection.project,
    location: connection.location,
    httpOptions: { baseUrl: connection.baseUrl, timeout: connection.timeoutMs },
    googleAuthOptions: connection.authClient
      ? { authClient: connection.authClient }
      : { keyFilename: connection.keyFile, scopes: [CLOUD_PLATFORM_SCOPE] },
  });
}

/** A Gemini API client (API key). */
export function createGeminiClient(connection: GeminiConnection): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: connection.apiKey,
    httpOptions: { baseUrl: connection.baseUrl, timeout: connection.timeoutMs },
  });
}

interface RpcError {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<{ "@type"?: string; reason?: string; retryDelay?: string }>;
}

function rpcErrorOf(message: string): RpcError | undefined {
  try {
    return (JSON.parse(message) as { error?: RpcError }).error;
  } catch {
    return undefined;
  }
}

/** Seconds of a google.rpc.RetryInfo `retryDelay` ("30s", "1.5s"), if the error carries one. */
function retryDelayOf(rpc: RpcError | undefined): number | undefined {
  const delay = rpc?.details?.find((d) => d["@type"]?.endsWith("google.rpc.RetryInfo"))?.retryDelay;
  const seconds = delay ? Number.parseFloat(delay) : Number.NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * Classifies an error thrown by `@google/genai` for `flavour`: 401/403 → auth (naming
 * GOOGLE_APPLICATION_CREDENTIALS for Vertex, GEMINI_API_KEY for the Gemini API, which answers a bad
 * key with 400 API_KEY_INVALID); 429/5xx → retriable (with RetryInfo's delay when present); other
 * 4xx → invalid with Google's message; network errors, timeouts and unparsable bodies → retriable.
 */
export function fromGoogleError(err: unknown, flavour: "vertex" | "gemini"): unknown {
  if (err instanceof ProviderError) return err;
  const provider = flavour === "vertex" ? VERTEX_LABEL : GEMINI_LABEL;
  const setting = flavour === "vertex" ? VERTEX_AUTH_SETTING : GEMINI_KEY_SETTING;
  if (err instanceof ApiError) {
    const rpc = rpcErrorOf(err.message);
    const keyInvalid = rpc?.details?.some((d) => d.reason === "API_KEY_INVALID") ?? false;
    const failure = classifyHttpFailure({
      provider,
      setting,
      status: keyInvalid ? 401 : err.status,
      reason: rpc?.message ?? err.message,
      code: rpc?.status,
      cause: err,
    });
    if (failure.kind !== "retriable") return failure;
    const retryAfterSeconds = retryDelayOf(rpc);
    return new ProviderError({
      kind: "retriable",
      provider,
      status: err.status,
      reason: rpc?.message,
      retryAfterSeconds,
      cause: err,
    });
  }
  if (err instanceof Error && ["TypeError", "AbortError", "TimeoutError", "SyntaxError"].includes(err.name)) {
    return transientFailure(provider, err.message, err);
  }
  return err;
}

/** google.rpc codes of a failed operation that may succeed when tried again. */
const RETRIABLE_RPC_CODES = new Set([4, 8, 10, 13, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE

/**
 * The error of an operation that finished with `error: { code, message }` (google.rpc.Status):
 * retriable codes (4, 8, 10, 13, 14) → retriable; 7/16 → auth; a message about the usage
 * guidelines → safety; anything else → invalid with Google's message.
 */
export function operationFailure(
  error: { code?: number; message?: string },
  flavour: "vertex" | "gemini",
): ProviderError {
  const provider = flavour === "vertex" ? VERTEX_LABEL : GEMINI_LABEL;
  const reason = error.message ?? `operation failed with code ${error.code}`;
  if (RETRIABLE_RPC_CODES.has(error.code ?? -1)) return transientFailure(provider, reason);
  if (error.code === 7 || error.code === 16) {
    return new ProviderError({
      kind: "auth",
      provider,
      setting: flavour === "vertex" ? VERTEX_AUTH_SETTING : GEMINI_KEY_SETTING,
    });
  }
  if (/usage guidelines|responsible ai|sensitive|safety/i.test(reason))
    return new ProviderError({ kind: "safety", provider, reason });
  return new ProviderError({ kind: "invalid", provider, reason });
}
