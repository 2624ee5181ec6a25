/**
 * `GET /api/v1/jobs` → `{ jobs: JobSummaryJson[] }`, the owner's newest jobs (at most 50).
 * `POST /api/v1/jobs` with `{ topic? | scriptText?, segmentCount?, segmentSeconds?, aspect?, language? }`
 * → 201 with the stored job; 400 `{ code: "bad_input", message }` naming the problem.
 */
import { z } from "zod";
import { listJobSummaries } from "@/lib/http/job-json";
import { withRoute } from "@/lib/http/route";
import { createJob } from "@/lib/studio/jobs";
import type { CreateJobInput } from "@/lib/studio/schemas";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Lists the owner's newest jobs with stage counts, thumbnails and the video URL. */
export const GET = withRoute(async ({ deps, ownerId }) => {
  return Response.json({ jobs: await listJobSummaries(deps.db, ownerId) });
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
