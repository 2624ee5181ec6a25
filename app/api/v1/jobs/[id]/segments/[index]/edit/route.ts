/**
 * `POST /api/v1/jobs/:id/segments/:index/edit` with `{ instruction }` (1–500 characters, e.g.
 * "make the sky red") → 202 `{ variation }`: the segment's image is edited as the instruction says
 * by the image provider (FLUX.1 Kontext on fal; a recolouring offline), one image's price is
 * reserved. 422 for a missing, empty or overlong instruction (like every schema failure), 400 for
 * a bad index, 404 for unknown and foreign jobs, 409 outside the images gate or while the segment
 * is being regenerated.
 */
import { segmentIndexParam } from "@/lib/http/request";
import { withRoute } from "@/lib/http/route";
import { ImageEditInputSchema, requestImageEdit } from "@/lib/studio/editing";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Asks for an instruction edit of the segment's image. */
export const POST = withRoute<{ id: string; index: string }, typeof ImageEditInputSchema>(
  async ({ deps, ownerId, params, body }) => {
    const index = segmentIndexParam(params.index);
    const variation = await requestImageEdit(deps, params.id, index, body, `user:${ownerId}`, ownerId);
    return Response.json({ variation }, { status: 202 });
  },
  { body: ImageEditInputSchema },
);
