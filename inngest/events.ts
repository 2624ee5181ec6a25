/**
 * Every event Kadr sends or waits for, each a typed `eventType` with a zod schema
 * (https://www.inngest.com/docs/reference/typescript/v4/events). Names follow
 * `<domain>/<object>.<past-tense-verb>`. Schemas never transform (the SDK forbids it).
 */
import { eventType } from "inngest";
import { z } from "zod";

const jobRef = { jobId: z.string().min(1).max(64).describe("Job id") };
/**
 * The job owner's user id, the key of the per-user step limit of the functions a run-starting event
 * triggers (`concurrency: { key: "event.data.ownerId" }`); optional so older events still parse.
 */
const ownerRef = { ownerId: z.string().min(1).max(64).optional().describe("The job owner's user id") };
const approval = z.object({ ...jobRef, actor: z.string().describe('Who approved: "cli", "user:<uuid>"') });

/** A job row exists; start producing its video (`gates: false`: pass the approval gates automatically). */
export const jobCreated = eventType("video/job.created", {
  schema: z.object({
    ...jobRef,
    ...ownerRef,
    gates: z.boolean().optional().describe("false for jobs approved in advance, e.g. greeting templates"),
  }),
});

/** Gate 1: the user approved (possibly edited) the script. */
export const scriptApproved = eventType("video/script.approved", { schema: approval });

/** Gate 2: the user approved the image grid. */
export const imagesApproved = eventType("video/images.approved", { schema: approval });

/** Gate 3: the user approved the clips. */
export const clipsApproved = eventType("video/clips.approved", { schema: approval });

/** The user cancelled (rejected) the job; its run stops. */
export const jobCancelled = eventType("video/job.cancelled", { schema: z.object(jobRef) });

/** The final video is stored; delivery functions react to this. */
export const jobCompleted = eventType("video/job.completed", {
  schema: z.object({ ...jobRef, assetId: z.string().uuid() }),
});

/**
 * The user asked for a new take of one segment's image or clip (at the matching gate), or — with
 * `edit` — for an instruction edit of its current image (target "image").
 */
export const segmentRegenerationRequested = eventType("video/segment.regeneration.requested", {
  schema: z.object({
    ...jobRef,
    ...ownerRef,
    index: z.number().int().min(0).describe("0-based segment index"),
    target: z.enum(["image", "clip"]),
    variation: z.number().int().min(1).optional().describe("The new take's number (its credit reservation)"),
    edit: z
      .object({
        instruction: z.string().min(1).max(500).describe('What to change, e.g. "make the sky red"'),
        sourceAssetId: z.string().uuid().describe("The image asset the edit starts from"),
      })
      .optional()
      .describe("Present for an instruction edit instead of a new take"),
  }),
});

/** The user asked to extend a finished video by one segment (an `extension` job, see lib/studio/extend.ts). */
export const extensionRequested = eventType("video/extension.requested", {
  schema: z.object({ ...jobRef, ...ownerRef }),
});

/** Approval events by gate, for services that approve a gate generically. */
export const GATE_EVENTS = {
  script: scriptApproved,
  images: imagesApproved,
  clips: clipsApproved,
} as const;
