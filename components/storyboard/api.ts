/**
 * Browser-side client of Kadr's API (`/api/v1/...`), shared by the dashboard and the Mini App.
 * Every call resolves to the parsed JSON body or throws an ApiError carrying the server's
 * `{ code, message }`. Credentials come from `authorize` (the Mini App's bearer session); without
 * it the browser's session cookie (or local mode) authenticates. Types are imported type-only, so
 * no server code reaches the bundle.
 */

import type { CreditsJson } from "@/app/api/v1/credits/route";
import type { UserJson } from "@/lib/auth/users";
import type { Gate, Job, Segment } from "@/lib/db/schema";
import type { JobPageJson, JobViewJson, Serialized } from "@/lib/http/job-json";
import type { Script } from "@/lib/storyboard/types";

/** A failed API call: the server's error code and message (`code: "network"` when unreachable). */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /**
     * The whole error body: e.g. 402 `{ needed, balance, shortfall }` (credits), 429
     * `{ retryAfterSeconds }`. Empty when the body was not JSON.
     */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * What the "New video" form submits: a topic, or a pasted script as `scriptText` instead (exactly
 * one of them); `language` omitted = detect from the text.
 */
export interface NewJobRequest {
  topic?: string;
  scriptText?: string;
  segmentCount: number;
  /** Seconds per segment. */
  segmentSeconds: number;
  aspect: "16:9" | "9:16" | "1:1";
  language?: "ru" | "en";
}

/** A change to one segment (see PATCH /api/v1/jobs/:id/segments/:index). */
export interface SegmentPatchRequest {
  narration?: string;
  caption?: string;
  imagePrompt?: string;
  motionPrompt?: string;
}

/** The answer of a segment edit. */
export type SegmentEditResponse = { kind: "script"; script: Script } | { kind: "segment"; segment: Segment };

/** How a server wants people to sign in. */
export interface AuthConfigResponse {
  mode: "telegram" | "local";
  botUsername: string | null;
}

/** The signed-in user, how they signed in, and whether videos can be sent to their Telegram chat. */
export interface MeResponse {
  user: UserJson;
  method: string;
  /** The bot is configured and the user has Telegram: "Send to Telegram chat" can work. */
  canSendToChat: boolean;
}

/** A session as the sign-in routes answer it (`expiresAt` in Unix seconds). */
export interface SessionResponse {
  token: string;
  expiresAt: number;
  user: UserJson;
}

/** Options of `createApi`. */
export interface ApiOptions {
  /** The Authorization header value to send, if any (called before every request). */
  authorize?: () => string | undefined;
  /** Called with a renewed session token the server handed back (`X-Kadr-Session`). */
  onSession?: (token: string) => void;
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

const jobPath = (jobId: string) => `/api/v1/jobs/${encodeURIComponent(jobId)}`;

/** The API, one function per endpoint. Each throws ApiError on failure. */
export function createApi(options: ApiOptions = {}) {
  async function request<T>(path: string, method: Method = "GET", body?: unknown, auth?: string): Promise<T> {
    const headers = new Headers();
    const authorization = auth ?? options.authorize?.();
    if (authorization) headers.set("authorization", authorization);
    const isForm = body instanceof FormData;
    if (body !== undefined && !isForm) headers.set("content-type", "application/json");
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        cache: "no-store",
        headers,
        body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
      });
    } catch {
      throw new ApiError("network", "Cannot reach the Kadr server", 0);
    }
    const renewed = response.headers.get("x-kadr-session");
    if (renewed) options.onSession?.(renewed);
    const data: unknown = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
      const retryAfter = Number(response.headers.get("retry-after"));
      if (response.status === 429 && error.retryAfterSeconds === undefined && retryAfter > 0)
        error.retryAfterSeconds = retryAfter;
      throw new ApiError(
        typeof error.code === "string" ? error.code : "internal",
        typeof error.message === "string" ? error.message : `Request failed (HTTP ${response.status})`,
        response.status,
        error,
      );
    }
    return data as T;
  }

  return {
    /** How to sign in on this server. */
    authConfig: () => request<AuthConfigResponse>("/api/v1/auth/config"),
    /** The signed-in user; 401 ApiError when nobody is. */
    me: () => request<MeResponse>("/api/v1/auth/me"),
    /** Exchanges an Authorization value (e.g. `tma <initData>`) for a session. */
    exchange: (authorization: string) =>
      request<SessionResponse>("/api/v1/auth/session", "POST", undefined, authorization),
    /** Signs in with Telegram Login Widget data. */
    telegramLogin: (fields: Record<string, string | number>) =>
      request<SessionResponse>("/api/v1/auth/telegram-login", "POST", fields),
    /** Signs out (clears the session cookie). */
    signOut: () => request<null>("/api/v1/auth/session", "DELETE"),
    /** One page of the caller's jobs, newest first; `before` = the previous page's `nextCursor`. */
    listPage: (before?: string | null) =>
      request<JobPageJson>(before ? `/api/v1/jobs?before=${encodeURIComponent(before)}` : "/api/v1/jobs"),
    /** The caller's credits, the prices and where to buy more. */
    credits: () => request<CreditsJson>("/api/v1/credits"),
    /** One job's full view. */
    get: (jobId: string) => request<JobViewJson>(jobPath(jobId)),
    /** Starts a new job (402 ApiError when credits are short, 429 at a limit). */
    create: (input: NewJobRequest) => request<{ id: string }>("/api/v1/jobs", "POST", input),
    /** Extends a completed job's video by one segment; resolves to the new extension job. */
    extend: (jobId: string, prompt: string) =>
      request<Serialized<Job>>(`${jobPath(jobId)}/extend`, "POST", { prompt }),
    /** Sends the completed video to the caller's own Telegram chat (again on every call). */
    sendToChat: (jobId: string) =>
      request<{ method: "file_id" | "upload" | "rendition" | "link" }>(
        `${jobPath(jobId)}/send-to-chat`,
        "POST",
      ),
    /** Approves the gate the job waits at. */
    approve: (jobId: string, gate: Gate) =>
      request<{ approved: Gate }>(`${jobPath(jobId)}/approve`, "POST", { gate }),
    /** Cancels an open job. */
    cancel: (jobId: string) => request<{ cancelled: true }>(`${jobPath(jobId)}/cancel`, "POST"),
    /** Changes the script's title or section texts at the script gate. */
    editScript: (jobId: string, patch: { title?: string; sections?: Partial<Script["sections"]> }) =>
      request<{ script: Script }>(`${jobPath(jobId)}/script`, "PATCH", patch),
    /** Changes one segment's texts or prompts. */
    editSegment: (jobId: string, index: number, patch: SegmentPatchRequest) =>
      request<SegmentEditResponse>(`${jobPath(jobId)}/segments/${index}`, "PATCH", patch),
    /** Asks for a new take of a segment's image or clip, optionally with a new prompt. */
    regenerate: (jobId: string, index: number, target: "image" | "clip", prompt?: string) =>
      request<{ variation: number }>(`${jobPath(jobId)}/segments/${index}/regenerate`, "POST", {
        target,
        ...(prompt ? { prompt } : {}),
      }),
    /** Asks for an instruction edit of a segment's image ("make the sky red"). */
    editImage: (jobId: string, index: number, instruction: string) =>
      request<{ variation: number }>(`${jobPath(jobId)}/segments/${index}/edit`, "POST", { instruction }),
    /** Replaces a segment's image with an uploaded file. */
    uploadImage: (jobId: string, index: number, file: File) => {
      const form = new FormData();
      form.append("image", file);
      return request<{ segment: Segment }>(`${jobPath(jobId)}/segments/${index}/image`, "POST", form);
    },
    /** URL of the job's server-sent event stream. */
    eventsUrl: (jobId: string) => `${jobPath(jobId)}/events`,
  };
}

/** The client `createApi` builds. */
export type KadrApi = ReturnType<typeof createApi>;

/** The message to show for any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
