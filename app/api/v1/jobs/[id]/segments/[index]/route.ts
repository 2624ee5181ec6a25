/**
 * `PATCH /api/v1/jobs/:id/segments/:index` with `{ narration?, caption?, imagePrompt?,
 * motionPrompt? }` → 200 `{ kind: "script", script }` at the script gate (the narration is a span of
 * the script there) or `{ kind: "segment", segment }` at the images and clips gates; 400 for an
 * invalid patch or index, 404 for unknown and foreign jobs, 409 when the field cannot change now.
 */
import { segmentIndexParam } from "@/lib/http/request";
import { withRoute } from "@/lib/http/route";
import { editSegment, SegmentPatchSchema } from "@/lib/studio/editing";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Changes one segment's texts or prompts. */
export const PATCH = withRoute<{ id: string; index: string }, typeof SegmentPatchSchema>(
  async ({ deps, ownerId, params, body }) => {
    const index = segmentIndexParam(params.index);
    return Response.json(await editSegment(deps, params.id, index, body, `user:${ownerId}`, ownerId));
  },
  { body: SegmentPatchSchema },
);
