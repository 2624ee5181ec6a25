/**
 * produce-video: one run per job, from script to final MP4, with three human approval gates.
 * The function only orchestrates: every side effect is a lib/studio stage service inside a step,
 * so each stage's result is memoized and a resumed run continues from the last finished step.
 */
import { completeGeneration, failGeneration } from "@/lib/credits/shared-generations";
import { loadEnv } from "@/lib/env";
import { captureGreetingPayments } from "@/lib/greetings/greetings";
import { getRuntime } from "@/lib/runtime";
import { chargeSegment, chargeStage, releaseJobCredits, settleStage } from "@/lib/studio/billing";
import { GATE_STATUS } from "@/lib/studio/jobs";
import {
  assembleStage,
  expireJob,
  markJobFailed,
  narrateStage,
  passGate,
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
import { animateClipDurably } from "./clip-polling";
import { perUserSteps } from "./limits";

/** How long a gate waits for a human before the job expires (KADR_GATE_TIMEOUT, default 24h). */
export const GATE_TIMEOUT = loadEnv().KADR_GATE_TIMEOUT;

export const produceVideo = inngest.createFunction(
  {
    id: "produce-video",
    name: "Produce video",
    triggers: [jobCreated],
    retries: 3,
    concurrency: [perUserSteps],
    cancelOn: [{ event: jobCancelled, match: "data.jobId" }],
    onFailure: async ({ event, error, step }) => {
      const jobId = String((event.data.event.data as { jobId?: string }).jobId ?? "");
      await step.run("mark-job-failed", async () => {
        const rt = await getRuntime();
        // Released first, so a job that shows as failed never holds credits.
        await releaseJobCredits(rt.dbHandle.db, jobId, "failed");
        await markJobFailed(rt, jobId, error.message);
        await failGeneration(rt.dbHandle.db, jobId, error.message);
      });
    },
  },
  async ({ event, step }) => {
    const { jobId } = event.data;
    const db = async () => (await getRuntime()).dbHandle.db;
    /**
     * Opens a gate and waits at it. The wait and the step that shows the gate to people run as one
     * parallel group, so the wait is registered before anyone can see the gate: an approval can
     * never arrive before the wait exists (waits only match later events).
     * @returns true when approved; false when the wait timed out and the job expired (its credits
     *   released, the user told through the job's timeline).
     */
    const gate = async (name: "script" | "images" | "clips"): Promise<boolean> => {
      if (event.data.gates === false) {
        await step.run(`pass-${name}-gate`, async () => passGate(await getRuntime(), jobId, name));
        return true;
      }
      const approvalEvent = { script: scriptApproved, images: imagesApproved, clips: clipsApproved }[name];
      const [approval] = await Promise.all([
        step.waitForEvent(`wait-${name}-approval`, {
          event: approvalEvent,
          match: "data.jobId",
          timeout: GATE_TIMEOUT,
        }),
        step.run(`open-${name}-gate`, async () => setJobStatus(await getRuntime(), jobId, GATE_STATUS[name])),
      ]);
      if (approval) return true;
      await step.run(`expire-at-${name}-gate`, async () =>
        expireJob(await getRuntime(), jobId, `No ${name} approval within ${GATE_TIMEOUT}`),
      );
      return false;
    };

    await step.run("write-script", async () =>
      withProviderErrors(async () => writeScriptStage(await getRuntime(), jobId)),
    );
    if (!(await gate("script"))) return { jobId, expired: "script" };

    const indices = await step.run("plan-segments", async () => {
      const planned = await withProviderErrors(async () => planSegmentsStage(await getRuntime(), jobId));
      await chargeStage(await db(), jobId, "script");
      return planned;
    });
    await Promise.all(
      indices.map((i) =>
        step.run(`render-image-${i}`, async () => {
          const rt = await getRuntime();
          const assetId = await runSegmentStage(rt, jobId, i, "image", () => renderImageStage(rt, jobId, i));
          if (assetId) await chargeSegment(rt.dbHandle.db, jobId, "images", i, indices.length);
          return assetId;
        }),
      ),
    );
    if (!(await gate("images"))) return { jobId, expired: "images" };

    await step.run("start-clips", async () => {
      await settleStage(await db(), jobId, "images");
      await setJobStatus(await getRuntime(), jobId, "animating");
    });
    // Per segment: submit `animate-clip-<i>`, then durable sleeps and `animate-clip-<i>-check-<n>`
    // until the remote clip is ready (clip-polling.ts); each clip's credits are captured in the
    // step that finishes it.
    await Promise.all(
      indices.map((i) =>
        animateClipDurably(step, {
          name: `animate-clip-${i}`,
          jobId,
          index: i,
          onRefusal: "segment",
          settle: async (rt, assetId) => {
            if (assetId) await chargeSegment(rt.dbHandle.db, jobId, "clips", i, indices.length);
          },
        }),
      ),
    );
    if (!(await gate("clips"))) return { jobId, expired: "clips" };

    await step.run("start-narration", async () => {
      await settleStage(await db(), jobId, "clips");
      await setJobStatus(await getRuntime(), jobId, "narrating");
    });
    await Promise.all([
      ...indices.map((i) =>
        step.run(`narrate-${i}`, async () =>
          withProviderErrors(async () => narrateStage(await getRuntime(), jobId, i)),
        ),
      ),
      step.run("prerender-transitions", async () => prerenderTransitionsStage(await getRuntime(), jobId)),
    ]);
    const assetId = await step.run("assemble", async () => {
      const rt = await getRuntime();
      const ledger = rt.dbHandle.db;
      // The credits are booked before the job shows as completed, so the status never runs ahead
      // of the ledger (every booking has a fixed key: a retried step books nothing twice).
      const id = await assembleStage(rt, jobId, async () => {
        await captureGreetingPayments(ledger, jobId);
        await chargeStage(ledger, jobId, "narration");
        await releaseJobCredits(ledger, jobId, "completed");
      });
      await completeGeneration(ledger, jobId);
      return id;
    });
    await step.sendEvent("announce-completion", jobCompleted.create({ jobId, assetId }));
    return { jobId, assetId };
  },
);
