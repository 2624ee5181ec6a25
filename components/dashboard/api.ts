/**
 * Browser-side client of the job API (`/api/v1/...`). Every call resolves to the parsed JSON body
 * or throws an ApiError carrying the server's `{ code, message }`, so callers can show the message.
 */
import type { Gate } from "@/lib/db/schema";
import type { JobSummaryJson, JobViewJson } from "@/lib/http/job-json";

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

async function request<T>(path: string, method: "GET" | "POST" = "GET", body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      cache: "no-store",
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("network", "Cannot reach the Kadr server", 0);
  }
  const data: unknown = await response.json().catch(() => null);
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

/** The job API, one function per endpoint. Each throws ApiError on failure. */
export const jobsApi = {
  /** The owner's newest jobs. */
  list: () => request<{ jobs: JobSummaryJson[] }>("/api/v1/jobs").then((r) => r.jobs),
  /** One job's full view (script, segments, media URLs). */
  get: (jobId: string) => request<JobViewJson>(`/api/v1/jobs/${encodeURIComponent(jobId)}`),
  /** Starts a new job. */
  create: (input: NewJobRequest) => request<{ id: string }>("/api/v1/jobs", "POST", input),
  /** Approves the gate the job waits at. */
  approve: (jobId: string, gate: Gate) =>
    request<{ approved: Gate }>(`/api/v1/jobs/${encodeURIComponent(jobId)}/approve`, "POST", { gate }),
  /** Cancels an open job. */
  cancel: (jobId: string) =>
    request<{ cancelled: true }>(`/api/v1/jobs/${encodeURIComponent(jobId)}/cancel`, "POST"),
};

/** The message to show for any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
