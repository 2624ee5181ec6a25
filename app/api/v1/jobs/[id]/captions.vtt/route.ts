/**
 * `GET /api/v1/jobs/:id/captions.vtt` → 200 `text/vtt` (UTF-8): the completed video's captions as
 * WebVTT, for the player's `<track>` (browsers ignore the MP4's own mov_text track). Cue times are
 * the assembled video's, in its timeline. 404 for an unknown job or another owner's; 409
 * `{ code: "conflict" }` while the job is not completed (no video yet: the player is not shown).
 * Authenticated like /api/media (the session cookie for `<track>`); privately cached, revalidated.
 */
import { withRoute } from "@/lib/http/route";
import { jobCaptionsVtt } from "@/lib/studio/pipeline";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The job's captions. */
export const GET = withRoute<{ id: string }>(async ({ deps, store, ownerId, params }) => {
  const vtt = await jobCaptionsVtt(deps.db, store, params.id, ownerId);
  return new Response(vtt, {
    headers: { "content-type": "text/vtt; charset=utf-8", "cache-control": "private, no-cache" },
  });
});
