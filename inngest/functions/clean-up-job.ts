/**
 * clean-up-job: after a job is cancelled (rejected), removes the files only that job uses
 * (lib/studio/cleanup.ts) — its credits were released by `cancelJob` already. One idempotent step.
 */
import { getRuntime } from "@/lib/runtime";
import { removeJobFiles } from "@/lib/studio/cleanup";
import { inngest } from "../client";
import { jobCancelled } from "../events";

export const cleanUpJob = inngest.createFunction(
  { id: "clean-up-job", name: "Remove a cancelled job's files", triggers: [jobCancelled], retries: 3 },
  async ({ event, step }) => {
    const { jobId } = event.data;
    const removed = await step.run("remove-files", async () => removeJobFiles(await getRuntime(), jobId));
    return { jobId, ...removed };
  },
);
