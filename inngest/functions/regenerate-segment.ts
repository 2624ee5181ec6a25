/**
 * regenerate-segment: renders a new take of one segment's image or clip after
 * `requestRegeneration` put it back to pending with a new variation, or edits its image as an
 * instruction says (`requestImageEdit`: the event's `edit`). An image is one step
 * (`regenerate-image` / `edit-image`); a clip is submitted and polled durably (clip-polling.ts).
 * Every step is idempotent and settles the take's credit reservation.
 */
import { getRuntime, type Runtime } from "@/lib/runtime";
import { settleRegeneration } from "@/lib/studio/billing";
import { editImageStage, markSegmentFailed, renderImageStage, runSegmentStage } from "@/lib/studio/pipeline";
import { inngest } from "../client";
import { jobCancelled, segmentRegenerationRequested } from "../events";
import { animateClipDurably } from "./clip-polling";
import { perUserSteps } from "./limits";

export const regenerateSegment = inngest.createFunction(
  {
    id: "regenerate-segment",
    name: "Regenerate segment",
    triggers: [segmentRegenerationRequested],
    retries: 3,
    concurrency: [perUserSteps],
    cancelOn: [{ event: jobCancelled, match: "data.jobId" }],
    onFailure: async ({ event, step }) => {
      const { jobId, index, target, variation } = event.data.event.data;
      await step.run("mark-segment-failed", async () => {
        const rt = await getRuntime();
        await markSegmentFailed(rt, jobId, index, target);
        if (variation) {
          await settleRegeneration(rt.dbHandle.db, { jobId, target, index, variation, succeeded: false });
        }
      });
    },
  },
  async ({ event, step }) => {
    const { jobId, index, target, variation, edit } = event.data;
    const settle = async (rt: Runtime, id: string | null) => {
      if (variation) {
        await settleRegeneration(rt.dbHandle.db, { jobId, target, index, variation, succeeded: id !== null });
      }
    };
    if (target === "clip") {
      // A remote clip is polled durably: `regenerate-clip`, then `regenerate-clip-check-<n>`.
      const assetId = await animateClipDurably(step, {
        name: "regenerate-clip",
        jobId,
        index,
        onRefusal: "segment",
        settle,
      });
      return { jobId, index, target, assetId };
    }
    const assetId = await step.run(edit ? "edit-image" : `regenerate-${target}`, async () => {
      const rt = await getRuntime();
      const id = await runSegmentStage(rt, jobId, index, target, () =>
        edit ? editImageStage(rt, jobId, index, edit) : renderImageStage(rt, jobId, index),
      );
      await settle(rt, id);
      return id;
    });
    return { jobId, index, target, assetId };
  },
);
