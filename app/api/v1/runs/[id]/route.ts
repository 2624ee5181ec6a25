/** `GET /api/v1/runs/:id` → the run with its step timeline and pending waits (engine admins only). */

import { getRunDetail } from "@/inngest/embedded/runs";
import { AppError } from "@/lib/errors";
import { assertEngineAdmin } from "@/lib/http/engine-admin";
import { withRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** One run's detail; 404 for an unknown id. */
export const GET = withRoute<{ id: string }>(async ({ deps, principal, params }) => {
  await assertEngineAdmin(deps.db, principal);
  const run = await getRunDetail(deps.db, params.id);
  if (!run) throw new AppError("not_found", `No run ${params.id}`);
  return Response.json(run);
});
