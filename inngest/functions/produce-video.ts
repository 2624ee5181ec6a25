/**
 * produce-video: one run per job, from script to final MP4, with three human approval gates.
 * The function only orchestrates: every side effect is a lib/studio stage service inside a step,
 * so each stage's result is memoized and a resumed run continues from the last finished step.
 */
import { NonRetriableError } from "inngest";
import { getRuntime } from "@/lib/runtime";
import { GATE_STATUS } from "@/lib/studio/jobs";
import {
  animateClipStage,
  assembleStage,
  markJobFailed,
  narrateStage,
  planSegmentsStage,
  prerenderTransitionsStage,
  renderImageStage,
  runSegmentStage,
  setJobStatus,
  withProviderErrors,
  writeScriptStage,
} from "@/lib/studio/pipeline";
import { inngest } from "../client";
import {
  clipsApproved,
  imagesApproved,
  jobCancelled,
  jobCompleted,
  jobCreated,
  scriptApproved,
} from "../events";

/** How long a gate waits for a human before the job fails. */
export const GATE_TIMEOUT = "7d";

export const produceVideo = inngest.createFunction(
  {
    id: "produce-video",
    name: "Produce video",
    triggers: [jobCreated],
    retries: 3,
    cancelOn: [{ event: jobCancelled, match: "data.jobId" }],
    onFailure: async ({ event, error, step }) => {
      const jobId = String((event.data.event.data as { jobId?: string }).jobId ?? "");
      await step.run("mark-job-failed", async () => markJobFailed(await getRuntime(), jobId, error.message));
    },
  },
  async ({ event, step }) => {
    const { jobId } = event.data;
    /**
     * Opens a gate and waits at it. The wait and the step that shows the gate to people run as one
     * parallel group, so the wait is registered before anyone can see the gate: an approval can
     * never arrive before the wait exists (waits only match later events).
     */
    const gate = async (name: "script" | "images" | "clips") => {
      const approvalEvent = { script: scriptApproved, images: imagesApproved, clips: clipsApproved }[name];
      const [approval] = await Promise.all([
        step.waitForEvent(`wait-${name}-approval`, {
          event: approvalEvent,
          match: "data.jobId",
          timeout: GATE_TIMEOUT,
        }),
        step.run(`open-${name}-gate`, async () => setJobStatus(await getRuntime(), jobId, GATE_STATUS[name])),
      ]);
      if (!approval) throw new NonRetriableError(`No ${name} approval within ${GATE_TIMEOUT}`);
    };

    await step.run("write-script", async () =>
      withProviderErrors(async () => writeScriptStage(await getRuntime(), jobId)),
    );
    await gate("script");

    const indices = await step.run("plan-segments", async () =>
      withProviderErrors(async () => planSegmentsStage(await getRuntime(), jobId)),
    );
    await Promise.all(
      indices.map((i) =>
        step.run(`render-image-${i}`, async () => {
          const rt = await getRuntime();
          return runSegmentStage(rt, jobId, i, "image", () => renderImageStage(rt, jobId, i));
        }),
      ),
    );
    await gate("images");

    await step.run("start-clips", async () => setJobStatus(await getRuntime(), jobId, "animating"));
    await Promise.all(
      indices.map((i) =>
        step.run(`animate-clip-${i}`, async () => {
          const rt = await getRuntime();
          return runSegmentStage(rt, jobId, i, "clip", () => animateClipStage(rt, jobId, i));
        }),
      ),
    );
    await gate("clips");

    await step.run("start-narration", async () => setJobStatus(await getRuntime(), jobId, "narrating"));
    await Promise.all([
      ...indices.map((i) =>
        step.run(`narrate-${i}`, async () =>
          withProviderErrors(async () => narrateStage(await getRuntime(), jobId, i)),
        ),
      ),
      step.run("prerender-transitions", async () => prerenderTransitionsStage(await getRuntime(), jobId)),
    ]);
    const assetId = await step.run("assemble", async () => assembleStage(await getRuntime(), jobId));
    await step.sendEvent("announce-completion", jobCompleted.create({ jobId, assetId }));
    return { jobId, assetId };
  },
);
