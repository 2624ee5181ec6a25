/** `GET /api/v1/jobs/:id` → JobViewJson (job, segments with media URLs, counts, approvals, final asset). */
import { getJobViewJson } from "@/lib/http/job-json";
import { withRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** One job's full view; 404 for unknown ids and other owners' jobs. */
export const GET = withRoute<{ id: string }>(async ({ deps, ownerId, params }) => {
  return Response.json(await getJobViewJson(deps.db, params.id, ownerId));
});
