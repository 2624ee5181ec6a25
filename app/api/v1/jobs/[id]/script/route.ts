/**
 * `PATCH /api/v1/jobs/:id/script` with `{ title?, sections?: { intro?, main?, outro? } }` → 200
 * `{ script }` while the job waits at the script gate; 400 for invalid sizes or too few words, 404
 * for unknown and foreign jobs, 409 when the gate is not open or the job changed meanwhile.
 */
import { withRoute } from "@/lib/http/route";
import { editScript, ScriptPatchSchema } from "@/lib/studio/editing";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Changes the script. */
export const PATCH = withRoute<{ id: string }, typeof ScriptPatchSchema>(
  async ({ deps, ownerId, params, body }) => {
    const script = await editScript(deps, params.id, body, `user:${ownerId}`, ownerId);
    return Response.json({ script });
  },
  { body: ScriptPatchSchema },
);
