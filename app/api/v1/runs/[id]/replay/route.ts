/** `POST /api/v1/runs/:id/replay` → 201 `{ runId }` of the new run with the same event. */
import { AppError } from "@/lib/errors";
import { assertEngineAdmin, requireExecutor } from "@/lib/http/engine-admin";
import { withRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Starts the run's function again with the same event. */
export const POST = withRoute<{ id: string }>(async ({ deps, principal, params }) => {
  await assertEngineAdmin(deps.db, principal);
  const runId = await requireExecutor().replayRun(params.id);
  if (!runId) throw new AppError("not_found", `No run ${params.id}`);
  return Response.json({ runId }, { status: 201 });
});
