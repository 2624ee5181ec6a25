/**
 * Browser-side client of Kadr's API (`/api/v1/...`), shared by the dashboard and the Mini App.
 * Every call resolves to the parsed JSON body or throws an ApiError carrying the server's
 * `{ code, message }`. Credentials come from `authorize` (the Mini App's bearer session); without
 * it the browser's session cookie (or local mode) authenticates. Types are imported type-only, so
 * no server code reaches the bundle.
 */
import type { UserJson } from "@/lib/auth/users";
import type { Gate, Segment } from "@/lib/db/schema";
import type { JobSummaryJson, JobViewJson } from "@/lib/http/job-json";
import type { Script } from "@/lib/storyboard/types";

/** A failed API call: the server's error code and message (`code: "network"` when unreachable). */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
  ) {
    super(message);
  }
}

/** What the "New video" form submits (`language` omitted = detect from the topic). */
export interface NewJobRequest {
  topic: string;
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
      const error = (data ?? {}) as { code?: string; message?: string };
      throw new ApiError(
        error.code ?? "internal",
        error.message ?? `Request failed (HTTP ${response.status})`,
        response.status,
      );
    }
    return data as T;
  }

  return {
    /** How to sign in on this server. */
    authConfig: () => request<AuthConfigResponse>("/api/v1/auth/config"),
    /** The signed-in user; 401 ApiError when nobody is. */
    me: () => request<{ user: UserJson; method: string }>("/api/v1/auth/me"),
    /** Exchanges an Authorization value (e.g. `tma <initData>`) for a session. */
    exchange: (authorization: string) =>
      request<SessionResponse>("/api/v1/auth/session", "POST", undefined, authorization),
    /** Signs in with Telegram Login Widget data. */
    telegramLogin: (fields: Record<string, string | number>) =>
      request<SessionResponse>("/api/v1/auth/telegram-login", "POST", fields),
    /** Signs out (clears the session cookie). */
    signOut: () => request<null>("/api/v1/auth/session", "DELETE"),
    /** The caller's newest jobs. */
    list: () => request<{ jobs: JobSummaryJson[] }>("/api/v1/jobs").then((r) => r.jobs),
    /** One job's full view. */
    get: (jobId: string) => request<JobViewJson>(jobPath(jobId)),
    /** Starts a new job. */
    create: (input: NewJobRequest) => request<{ id: string }>("/api/v1/jobs", "POST", input),
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
