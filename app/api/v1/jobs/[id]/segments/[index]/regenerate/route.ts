/**
 * `POST /api/v1/jobs/:id/segments/:index/regenerate` with `{ target: "image" | "clip", prompt? }`
 * → 202 `{ variation }`: the segment's image (images gate) or clip (clips gate) goes back to
 * pending and a new take is rendered, with the new prompt when given; 409 at another gate or
 * while the segment is already being regenerated.
 */
import { segmentIndexParam } from "@/lib/http/request";
import { withRoute } from "@/lib/http/route";
import { RegenerateInputSchema, regenerateSegmentMedia } from "@/lib/studio/editing";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Asks for a new take. */
export const POST = withRoute<{ id: string; index: string }, typeof RegenerateInputSchema>(
  async ({ deps, ownerId, params, body }) => {
    const index = segmentIndexParam(params.index);
    const variation = await regenerateSegmentMedia(deps, params.id, index, body, `user:${ownerId}`, ownerId);
    return Response.json({ variation }, { status: 202 });
  },
  { body: RegenerateInputSchema },
);
