/**
 * `GET /api/v1/jobs?before=<cursor>&limit=<1..50>` → `{ jobs: JobSummaryJson[], nextCursor }`
 * (`JobPageJson`): one page of the owner's jobs, newest first (ordered by createdAt, id); `limit`
 * defaults to 20; `nextCursor` (null on the last page) is passed back as `before` for the next
 * page. 400 `{ code: "bad_input", message }` for a malformed cursor or limit.
 * `POST /api/v1/jobs` with `{ topic? | scriptText?, segmentCount?, segmentSeconds?, aspect?, language? }`
 * → 201 with the stored job; 400 `{ code: "bad_input", message }` naming the problem.
 */
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { listJobPage } from "@/lib/http/job-json";
import { withRoute } from "@/lib/http/route";
import { createJob } from "@/lib/studio/jobs";
import type { CreateJobInput } from "@/lib/studio/schemas";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Lists one page of the owner's jobs with stage counts, thumbnails and the video URL. */
export const GET = withRoute(async ({ deps, ownerId, request }) => {
  const query = new URL(request.url).searchParams;
  const limitText = query.get("limit");
  if (limitText !== null && !/^\d{1,3}$/.test(limitText)) {
    throw new AppError("bad_input", "limit must be a whole number from 1 to 50");
  }
  const page = await listJobPage(deps.db, ownerId, {
    before: query.get("before"),
    limit: limitText === null ? undefined : Number(limitText),
  });
  return Response.json(page);
});

/** Field validation is the service's (400 with its message); the route only insists on an object. */
const CreateJobBody = z.record(z.string(), z.unknown(), { error: "The body must be a JSON object" });

/** Creates a job and starts its pipeline. */
export const POST = withRoute(
  async ({ deps, ownerId, body }) => {
    const job = await createJob(deps, ownerId, body as CreateJobInput);
    return Response.json(job, { status: 201 });
  },
  { body: CreateJobBody },
);
