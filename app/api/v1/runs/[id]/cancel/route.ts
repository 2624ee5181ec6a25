/** `POST /api/v1/runs/:id/cancel` → `{ cancelled: true }`; 409 when the run already ended. */
import { AppError } from "@/lib/errors";
import { assertEngineAdmin, requireExecutor } from "@/lib/http/engine-admin";
import { withRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Cancels a running or waiting run. */
export const POST = withRoute<{ id: string }>(async ({ deps, principal, params }) => {
  await assertEngineAdmin(deps.db, principal);
  if (!(await requireExecutor().cancelRun(params.id))) {
    throw new AppError("conflict", `Run ${params.id} is not running or waiting`);
  }
  return Response.json({ cancelled: true });
});
