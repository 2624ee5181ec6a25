/**
 * extend-video: one run per extension job (lib/studio/extend.ts `requestExtension`), no approval
 * gates. Orchestration only: every side effect is a stage service of lib/studio/extend-pipeline.ts
 * inside a step — plan the segment, render its image while narrating it, animate the clip, then
 * crossfade it onto the parent's video (store, complete, capture credits) — and the completion is
 * announced as `video/job.completed`, so deliver-video sends the new video like any other.
 * cancelOn video/job.cancelled; onFailure marks the job failed and releases its reservation.
 */
import { getRuntime } from "@/lib/runtime";
import {
  EXTENSION_SEGMENT_INDEX,
  extendStage,
  failExtension,
  narrateExtensionStage,
  planExtensionStage,
  renderExtensionImageStage,
  startExtensionClipStage,
} from "@/lib/studio/extend-pipeline";
import { inngest } from "../client";
import { extensionRequested, jobCancelled, jobCompleted } from "../events";
import { animateClipDurably } from "./clip-polling";
import { perUserSteps } from "./limits";

export const extendVideoFunction = inngest.createFunction(
  {
    id: "extend-video",
    name: "Extend video",
    triggers: [extensionRequested],
    retries: 3,
    concurrency: [perUserSteps],
    cancelOn: [{ event: jobCancelled, match: "data.jobId" }],
    onFailure: async ({ event, error, step }) => {
      const jobId = String((event.data.event.data as { jobId?: string }).jobId ?? "");
      await step.run("mark-job-failed", async () => failExtension(await getRuntime(), jobId, error.message));
    },
  },
  async ({ event, step }) => {
    const { jobId } = event.data;
    await step.run("plan-segment", async () => planExtensionStage(await getRuntime(), jobId));
    await Promise.all([
      step.run("render-image", async () => renderExtensionImageStage(await getRuntime(), jobId)),
      step.run("narrate", async () => narrateExtensionStage(await getRuntime(), jobId)),
    ]);
    // Submitted in `animate-clip`, then polled in `animate-clip-check-<n>` (clip-polling.ts); a
    // refused clip fails the extension (there is no gate to fix it at).
    await animateClipDurably(step, {
      name: "animate-clip",
      jobId,
      index: EXTENSION_SEGMENT_INDEX,
      onRefusal: "job",
      before: (rt) => startExtensionClipStage(rt, jobId),
    });
    const assetId = await step.run("extend", async () => extendStage(await getRuntime(), jobId));
    await step.sendEvent("announce-completion", jobCompleted.create({ jobId, assetId }));
    return { jobId, assetId };
  },
);
