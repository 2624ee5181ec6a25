/**
 * `GET /api/v1/greetings/:jobId` → `{ jobId, title, status, progress, video: { url, durationSeconds,
 * width, height } | null, error }` for a greeting the caller asked for; 404 otherwise.
 */
import { getGreetingStatus } from "@/lib/greetings/greetings";
import { mediaUrl } from "@/lib/http/job-json";
import { withRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** One greeting's progress and video. */
export const GET = withRoute<{ jobId: string }>(async ({ deps, ownerId, params }) => {
  const { video, ...status } = await getGreetingStatus(deps.db, params.jobId, ownerId);
  return Response.json({
    ...status,
    video: video && {
      url: mediaUrl(video.storageKey),
      durationSeconds: video.durationSeconds,
      width: video.width,
      height: video.height,
    },
  });
});
