/**
 * The JSON the job API answers with, built from the studio's JobView: dates as ISO strings, media
 * as URLs (`/api/media/<storageKey>`), plus what a client should not have to derive itself
 * (`awaitingGate`, `final`). The exported types are the API contract the dashboard imports
 * (type-only, so no server code reaches the browser bundle).
 */
import type { Db } from "@/lib/db";
import {
  FINAL_JOB_STATUSES,
  GATES,
  type Gate,
  type Job,
  type JobStatus,
  type Segment,
} from "@/lib/db/schema";
import { GATE_STATUS, getJobView, type JobView, listJobs, type StageCounts } from "@/lib/studio/jobs";

/** Most jobs one list response carries. */
export const MAX_LISTED_JOBS = 50;

/** `T` as it looks after `JSON.stringify`: Date fields become ISO strings. */
export type Serialized<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

/** One row of `GET /api/v1/jobs`. */
export interface JobSummaryJson {
  id: string;
  topic: string;
  status: JobStatus;
  segmentCount: number;
  /** Seconds per segment. */
  segmentSeconds: number;
  aspect: Job["aspect"];
  language: Job["language"];
  /** ISO timestamp. */
  createdAt: string;
  /** Why the job failed, when it did. */
  error: string | null;
  counts: StageCounts;
  /** The gate the job waits at, or null when it is not waiting for a human. */
  awaitingGate: Gate | null;
  /** True for completed, failed and cancelled jobs: nothing will change any more. */
  final: boolean;
  /** Rendered segment images, in video order. */
  thumbnails: { index: number; url: string }[];
  /** The final MP4 once the job is completed. */
  videoUrl: string | null;
}

/** One segment of `GET /api/v1/jobs/:id`, with its media URLs (null until produced). */
export type SegmentJson = Serialized<Segment> & { imageUrl: string | null; clipUrl: string | null };

/** The body of `GET /api/v1/jobs/:id`. */
export interface JobViewJson {
  job: Serialized<Job>;
  segments: SegmentJson[];
  counts: StageCounts;
  approvals: { gate: Gate; actor: string; createdAt: string }[];
  finalAsset: (Serialized<NonNullable<JobView["finalAsset"]>> & { url: string }) | null;
  awaitingGate: Gate | null;
  final: boolean;
}

/** URL the media route serves a BlobStore key at. */
export function mediaUrl(storageKey: string): string {
  return `/api/media/${storageKey}`;
}

/** The gate a job in `status` waits at, or null. */
export function gateOf(status: JobStatus): Gate | null {
  return GATES.find((gate) => GATE_STATUS[gate] === status) ?? null;
}

/**
 * Summaries of an owner's most recent jobs, newest first (at most MAX_LISTED_JOBS).
 * Costs one JobView per job.
 */
export async function listJobSummaries(db: Db, ownerId: string): Promise<JobSummaryJson[]> {
  const jobs = await listJobs(db, ownerId, MAX_LISTED_JOBS);
  const views = await Promise.all(jobs.map((job) => getJobView(db, job.id, ownerId)));
  return views.map(({ job, segments, counts, finalAsset }) => ({
    id: job.id,
    topic: job.topic,
    status: job.status,
    segmentCount: job.segmentCount,
    segmentSeconds: job.segmentSeconds,
    aspect: job.aspect,
    language: job.language,
    createdAt: job.createdAt.toISOString(),
    error: job.error,
    counts,
    awaitingGate: gateOf(job.status),
    final: FINAL_JOB_STATUSES.includes(job.status),
    thumbnails: segments.flatMap((s) =>
      s.imageStatus === "ready" && s.imageStorageKey
        ? [{ index: s.index, url: mediaUrl(s.imageStorageKey) }]
        : [],
    ),
    videoUrl: job.status === "completed" && finalAsset ? mediaUrl(finalAsset.storageKey) : null,
  }));
}

/**
 * One job's full view with media URLs.
 * @throws AppError("not_found") for unknown jobs and other owners' jobs.
 */
export async function getJobViewJson(db: Db, jobId: string, ownerId: string): Promise<JobViewJson> {
  const view = await getJobView(db, jobId, ownerId);
  const body = {
    ...view,
    segments: view.segments.map(({ imageStorageKey, clipStorageKey, ...s }) => ({
      ...s,
      imageUrl: imageStorageKey ? mediaUrl(imageStorageKey) : null,
      clipUrl: clipStorageKey ? mediaUrl(clipStorageKey) : null,
    })),
    finalAsset: view.finalAsset ? { ...view.finalAsset, url: mediaUrl(view.finalAsset.storageKey) } : null,
    awaitingGate: gateOf(view.job.status),
    final: FINAL_JOB_STATUSES.includes(view.job.status),
  };
  // Round-trip through JSON so the value really has the serialized shape (Dates → ISO strings).
  return JSON.parse(JSON.stringify(body)) as JobViewJson;
}
