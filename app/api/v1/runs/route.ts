/** `GET /api/v1/runs?function=<id>&status=<status>` → `{ runs }`, newest first (engine admins only). */

import { listRuns } from "@/inngest/embedded/runs";
import { assertEngineAdmin } from "@/lib/http/engine-admin";
import { withRoute } from "@/lib/http/route";
import { getRunsFilterSchema } from "@/lib/http/runs-json";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Lists runs of the embedded executor, optionally of one function and status. */
export const GET = withRoute(async ({ deps, principal, request }) => {
  await assertEngineAdmin(deps.db, principal);
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const filter = getRunsFilterSchema.parse(query);
  return Response.json({ runs: await listRuns(deps.db, filter) });
});
