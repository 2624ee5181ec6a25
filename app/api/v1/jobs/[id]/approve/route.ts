/**
 * `POST /api/v1/jobs/:id/approve` with `{ gate: "script" | "images" | "clips" }` → 200 `{ approved: gate }`;
 * 409 when the job is not waiting at that gate, 422 for an unknown gate.
 */
import { z } from "zod";
import { GATES } from "@/lib/db/schema";
import { withRoute } from "@/lib/http/route";
import { approveGate } from "@/lib/studio/jobs";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const ApproveBody = z.object({
  gate: z.enum(GATES, { error: "gate must be script, images or clips" }),
});

/** Approves the gate named in the body. */
export const POST = withRoute<{ id: string }, typeof ApproveBody>(
  async ({ deps, ownerId, params, body }) => {
    await approveGate(deps, params.id, body.gate, `user:${ownerId}`, ownerId);
    return Response.json({ approved: body.gate });
  },
  { body: ApproveBody },
);
