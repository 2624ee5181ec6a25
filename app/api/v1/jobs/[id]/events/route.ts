/**
 * `GET /api/v1/jobs/:id/events` → `text/event-stream`: `event: update` with the job's view
 * (JobViewJson) now and whenever its timeline gets new rows, `event: end` after a final status
 * (see lib/http/event-stream.ts). 404 for unknown and foreign jobs, before the stream starts.
 */
import { jobEventStream, SSE_HEADERS } from "@/lib/http/event-stream";
import { getJobViewJson } from "@/lib/http/job-json";
import { withRoute } from "@/lib/http/route";
import { getJob } from "@/lib/studio/jobs";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Streams the job's live view. */
export const GET = withRoute<{ id: string }>(async ({ request, deps, ownerId, params }) => {
  await getJob(deps.db, params.id, ownerId);
  const stream = jobEventStream(
    deps.db,
    params.id,
    () => getJobViewJson(deps.db, params.id, ownerId),
    request.signal,
  );
  return new Response(stream, { headers: SSE_HEADERS });
});
