/**
 * regenerate-segment: renders a new take of one segment's image or clip after
 * `requestRegeneration` put it back to pending with a new variation. One step, idempotent.
 */
import { getRuntime } from "@/lib/runtime";
import { settleRegeneration } from "@/lib/studio/billing";
import {
  animateClipStage,
  markSegmentFailed,
  renderImageStage,
  runSegmentStage,
} from "@/lib/studio/pipeline";
import { inngest } from "../client";
import { jobCancelled, segmentRegenerationRequested } from "../events";

export const regenerateSegment = inngest.createFunction(
  {
    id: "regenerate-segment",
    name: "Regenerate segment",
    triggers: [segmentRegenerationRequested],
    retries: 3,
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
    const { jobId, index, target, variation } = event.data;
    const assetId = await step.run(`regenerate-${target}`, async () => {
      const rt = await getRuntime();
      const id = await runSegmentStage(rt, jobId, index, target, () =>
        target === "image" ? renderImageStage(rt, jobId, index) : animateClipStage(rt, jobId, index),
      );
      if (variation) {
        await settleRegeneration(rt.dbHandle.db, { jobId, target, index, variation, succeeded: id !== null });
      }
      return id;
    });
    return { jobId, index, target, assetId };
  },
);
