/** `POST /api/v1/jobs/:id/cancel` → 200 `{ cancelled: true }`; 409 when the job is already finished. */
import { withRoute } from "@/lib/http/route";
import { cancelJob } from "@/lib/studio/jobs";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Cancels the job; its pipeline run stops. */
export const POST = withRoute<{ id: string }>(async ({ deps, ownerId, params }) => {
  await cancelJob(deps, params.id, `user:${ownerId}`, ownerId);
  return Response.json({ cancelled: true });
});
