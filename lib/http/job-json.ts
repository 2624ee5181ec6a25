/**
 * The JSON the job API answers with, built from the studio's JobView: dates as ISO strings, media
 * as URLs (`/api/media/<storageKey>`, with the grid thumbnails and the video's poster), plus what a client should not have to derive itself
 * (`awaitingGate`, `final`). The exported types are the API contract the dashboard imports
 * (type-only, so no server code reaches the browser bundle).
 */
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { Db } from "@/lib/db";
import {
  FINAL_JOB_STATUSES,
  GATES,
  type Gate,
  type Job,
  type JobStatus,
  jobs,
  type Segment,
} from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import { SAFETY_MESSAGE } from "@/lib/providers/errors";
import { GATE_STATUS, getJobView, type JobView, type StageCounts } from "@/lib/studio/jobs";
import { derivedKeysOf } from "@/lib/studio/thumbnails";

/** Most jobs one list response carries. */
export const MAX_LISTED_JOBS = 50;
/** Jobs per page when the client names no `limit`. */
export const DEFAULT_PAGE_SIZE = 20;

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
  /** True for completed, failed, cancelled and expired jobs: nothing will change any more. */
  final: boolean;
  /**
   * Ready segment images, in video order: each image's 320 px WebP grid thumbnail, or the image
   * itself while it has none (media stored before thumbnails existed).
   */
  thumbnails: { index: number; url: string }[];
  /** The final MP4 once the job is completed. */
  videoUrl: string | null;
  /** For an extension: the job whose video it extends; null otherwise. */
  parentJobId: string | null;
}

/** The body of `GET /api/v1/jobs`: one page of the history, newest first. */
export interface JobPageJson {
  jobs: JobSummaryJson[];
  /** Pass as `before` to get the next (older) page; null when this page is the last. */
  nextCursor: string | null;
}

/**
 * One segment of `GET /api/v1/jobs/:id`, with its media URLs (null until produced). The thumbnail
 * URLs are the grid's WebP images, 320 px wide (lib/studio/thumbnails.ts): the image's, and the
 * clip's first frame; null until made (and for media stored before thumbnails existed). A failed
 * take has its reason in `imageError` / `clipError` (the provider's message, safe to show);
 * `imageSafetyRefusal` / `clipSafetyRefusal` say that reason is a provider's safety refusal (a
 * changed prompt may pass, a plain retry will not).
 */
export type SegmentJson = Serialized<Segment> & {
  imageUrl: string | null;
  clipUrl: string | null;
  imageThumbUrl: string | null;
  clipThumbUrl: string | null;
  imageSafetyRefusal: boolean;
  clipSafetyRefusal: boolean;
};

/**
 * The final video of `GET /api/v1/jobs/:id`: its URL, and its poster (the frame at ~1 s at the
 * video's full size) as JPEG (`posterUrl`) and WebP (`posterWebpUrl`), null until made.
 */
export type FinalAssetJson = Serialized<NonNullable<JobView["finalAsset"]>> & {
  url: string;
  posterUrl: string | null;
  posterWebpUrl: string | null;
};

/** The body of `GET /api/v1/jobs/:id`. */
export interface JobViewJson {
  job: Serialized<Job>;
  segments: SegmentJson[];
  counts: StageCounts;
  approvals: { gate: Gate; actor: string; createdAt: string }[];
  /** What the job's provider calls cost so far: credits booked and an estimate in US dollars. */
  cost: { credits: number; usd: number };
  finalAsset: FinalAssetJson | null;
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
 * A page of an owner's jobs, newest first, ordered by (`createdAt`, `id`) descending so jobs created
 * in the same microsecond still page without gaps or repeats.
 * @param page.before a `nextCursor` of an earlier page: only jobs older than it; absent = newest.
 * @param page.limit jobs per page, 1..MAX_LISTED_JOBS (default DEFAULT_PAGE_SIZE).
 * @returns the summaries and the cursor of the next page (null when there is none). Costs one
 *   JobView per job.
 * @throws AppError("bad_input") for a cursor this function did not make or a limit out of range.
 */
export async function listJobPage(
  db: Db,
  ownerId: string,
  page: { before?: string | null; limit?: number } = {},
): Promise<JobPageJson> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTED_JOBS) {
    throw new AppError("bad_input", `limit must be a whole number from 1 to ${MAX_LISTED_JOBS}`);
  }
  const cursor = page.before ? decodeCursor(page.before) : null;
  // created_at as text with microseconds in UTC: a JS Date would round it to milliseconds.
  const createdAtText = sql<string>`to_char(${jobs.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const rows = await db
    .select({ id: jobs.id, createdAtText })
    .from(jobs)
    .where(
      and(
        eq(jobs.ownerId, ownerId),
        cursor
          ? or(
              lt(jobs.createdAt, sql`${cursor.createdAt}::timestamptz`),
              and(eq(jobs.createdAt, sql`${cursor.createdAt}::timestamptz`), lt(jobs.id, cursor.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(limit + 1);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    jobs: await summarize(
      db,
      ownerId,
      shown.map((row) => row.id),
    ),
    nextCursor: rows.length > limit && last ? encodeCursor(last.createdAtText, last.id) : null,
  };
}

/**
 * Summaries of an owner's most recent jobs, newest first (at most MAX_LISTED_JOBS).
 * Costs one JobView per job.
 */
export async function listJobSummaries(db: Db, ownerId: string): Promise<JobSummaryJson[]> {
  return (await listJobPage(db, ownerId, { limit: MAX_LISTED_JOBS })).jobs;
}

/** A page cursor: base64url of `<created_at, ISO with microseconds, UTC>|<job id>`. */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`, "utf8").toString("base64url");
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** @throws AppError("bad_input") unless `cursor` is what encodeCursor makes. */
function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const text = /^[\w-]{1,200}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const split = text.indexOf("|");
  const createdAt = text.slice(0, split);
  const id = text.slice(split + 1);
  if (split < 0 || !CURSOR_TIME.test(createdAt) || !/^[\w-]{1,64}$/.test(id)) {
    throw new AppError("bad_input", "before is not a cursor from this API: pass nextCursor as it came");
  }
  return { createdAt, id };
}

/** Summaries of the given jobs, in the given order. */
async function summarize(db: Db, ownerId: string, jobIds: string[]): Promise<JobSummaryJson[]> {
  const views = await Promise.all(jobIds.map((id) => getJobView(db, id, ownerId)));
  const derived = await derivedKeysOf(
    db,
    views.flatMap((v) => v.segments.flatMap((s) => (s.imageAssetId ? [s.imageAssetId] : []))),
  );
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
        ? [
            {
              index: s.index,
              url: mediaUrl((s.imageAssetId && derived.get(s.imageAssetId)?.thumbnail) || s.imageStorageKey),
            },
          ]
        : [],
    ),
    videoUrl: job.status === "completed" && finalAsset ? mediaUrl(finalAsset.storageKey) : null,
    parentJobId: job.parentJobId,
  }));
}

/**
 * One job's full view with media URLs.
 * @throws AppError("not_found") for unknown jobs and other owners' jobs.
 */
export async function getJobViewJson(db: Db, jobId: string, ownerId: string): Promise<JobViewJson> {
  const view = await getJobView(db, jobId, ownerId);
  const derived = await derivedKeysOf(db, [
    ...view.segments.flatMap((s) => [s.imageAssetId, s.clipAssetId].filter((id): id is string => !!id)),
    ...(view.finalAsset ? [view.finalAsset.id] : []),
  ]);
  const urlOf = (key: string | undefined) => (key ? mediaUrl(key) : null);
  const body = {
    ...view,
    segments: view.segments.map(({ imageStorageKey, clipStorageKey, ...s }) => ({
      ...s,
      imageUrl: imageStorageKey ? mediaUrl(imageStorageKey) : null,
      clipUrl: clipStorageKey ? mediaUrl(clipStorageKey) : null,
      imageThumbUrl: urlOf(
        imageStorageKey && s.imageAssetId ? derived.get(s.imageAssetId)?.thumbnail : undefined,
      ),
      clipThumbUrl: urlOf(
        clipStorageKey && s.clipAssetId ? derived.get(s.clipAssetId)?.thumbnail : undefined,
      ),
      imageSafetyRefusal: isSafetyRefusal(s.imageStatus === "failed" ? s.imageError : null),
      clipSafetyRefusal: isSafetyRefusal(s.clipStatus === "failed" ? s.clipError : null),
    })),
    finalAsset: view.finalAsset
      ? {
          ...view.finalAsset,
          url: mediaUrl(view.finalAsset.storageKey),
          posterUrl: urlOf(derived.get(view.finalAsset.id)?.posterJpeg),
          posterWebpUrl: urlOf(derived.get(view.finalAsset.id)?.posterWebp),
        }
      : null,
    awaitingGate: gateOf(view.job.status),
    final: FINAL_JOB_STATUSES.includes(view.job.status),
  };
  // Round-trip through JSON so the value really has the serialized shape (Dates → ISO strings).
  return JSON.parse(JSON.stringify(body)) as JobViewJson;
}

/** True when a segment's failure reason is a provider's safety refusal (ProviderError kind "safety"). */
function isSafetyRefusal(reason: string | null): boolean {
  return reason?.startsWith(SAFETY_MESSAGE) ?? false;
}
