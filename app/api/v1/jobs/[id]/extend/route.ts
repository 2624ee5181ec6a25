/**
 * `POST /api/v1/jobs/:id/extend` with `{ prompt }` (1–1000 characters, the new segment's text) →
 * 201 with the new extension job (the stored row, as `POST /api/v1/jobs` answers): one segment
 * crossfaded onto the end of job :id's video, run without gates; its `parentJobId` is :id.
 * 400 `{ code: "bad_input" }` for a missing, empty or too long prompt; 404 for an unknown job or
 * another owner's; 409 when the job is not completed; the ledger's status when credits are short;
 * 429 at a job limit.
 */
import { z } from "zod";
import { withRoute } from "@/lib/http/route";
import { type ExtendInput, requestExtension } from "@/lib/studio/extend";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Field validation is the service's (400 with its message); the route only insists on an object. */
const ExtendBody = z.record(z.string(), z.unknown(), { error: "The body must be a JSON object" });

/** Starts an extension of the job's finished video. */
export const POST = withRoute<{ id: string }, typeof ExtendBody>(
  async ({ deps, ownerId, params, body }) => {
    const job = await requestExtension(deps, ownerId, params.id, body as ExtendInput, `user:${ownerId}`);
    return Response.json(job, { status: 201 });
  },
  { body: ExtendBody },
);
