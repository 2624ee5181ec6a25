/**
 * Durable polling of one segment's clip, shared by produce-video (one chain per segment inside the
 * parallel fan-out), regenerate-segment and extend-video. It is a helper of a function's body, not
 * a function: every side effect is a step of the calling run.
 *
 *   step.run("<name>")                     submitClipStage → ready | failed | submitted(job id)
 *   step.sleep("<name>-wait-1", pollSeconds)
 *   step.run("<name>-check-1")             checkClipStage  → pending | ready | failed
 *   step.sleep("<name>-wait-2", …) / step.run("<name>-check-2") …
 *
 * e.g. `animate-clip-3`, `animate-clip-3-wait-1`, `animate-clip-3-check-1`, … Nothing blocks inside
 * a step: the run sleeps between checks (durably, so a restart resumes the wait), and the provider's
 * job id is memoized by the submit step (and stored on the job's timeline before that), so a crash
 * or a retried check never submits — and pays for — the clip again.
 *
 * Pacing: the provider's hint (`ClipJobProvider.pollIntervalSeconds`; Runway 5 s, Veo 10 s, fal 5 s;
 * default 5 s) for the first 6 checks, then twice it for 6 more, then four times it, until the
 * deadline (`CLIP_MAX_WAIT_SECONDS`, 10 min) — a clip of about a minute costs ≈ 10 checks (20 steps),
 * and the 10-minute worst case ≈ 38 checks at 5 s. (Inngest Cloud caps a run at 1000 steps; a
 * 48-segment job on Runway typically stays near it — see `pollDelaySeconds`.)
 */
import type { GetStepTools } from "inngest";
import { getRuntime, type Runtime } from "@/lib/runtime";
import { type ClipRefusalMode, checkClipStage, submitClipStage } from "@/lib/studio/clip-stages";
import type { inngest } from "../client";

/** The step tools of a Kadr function. */
export type KadrStep = GetStepTools<typeof inngest>;

/** Checks made at each pace before the wait doubles (`pollDelaySeconds`). */
const CHECKS_PER_PACE = 6;
/** Largest multiple of the provider's interval a wait grows to. */
const MAX_PACE = 4;

/**
 * Seconds to sleep before check `n` (1-based): `pollSeconds` × 1 for checks 1–6, × 2 for 7–12,
 * × 4 from 13 on.
 */
export function pollDelaySeconds(pollSeconds: number, n: number): number {
  const pace = Math.min(MAX_PACE, 2 ** Math.floor((n - 1) / CHECKS_PER_PACE));
  return pollSeconds * pace;
}

/** Options of `animateClipDurably`. */
export interface DurableClipOptions {
  /** Name of the submit step and prefix of the others, e.g. "animate-clip-3". Keep it stable. */
  name: string;
  jobId: string;
  /** 0-based segment index. */
  index: number;
  /** What a refused or timed-out clip does: mark the segment failed, or fail the run. */
  onRefusal: ClipRefusalMode;
  /** Runs first in the submit step (e.g. set the job's status). */
  before?: (rt: Runtime) => Promise<void>;
  /**
   * Runs in the step that ends the clip, with its asset id or null when the segment was marked
   * failed (capture the segment's credits, settle a regeneration). Must be idempotent.
   */
  settle?: (rt: Runtime, assetId: string | null) => Promise<void>;
  /** Longest wait for the provider, in seconds (default `CLIP_MAX_WAIT_SECONDS`). */
  maxWaitSeconds?: number;
}

/**
 * Makes one segment's clip durably: submit in one step, then sleep and check in steps until the
 * clip is ready, failed or past its deadline (see the module comment).
 * @returns the clip's asset id, or null when the segment was marked failed.
 * @throws what the stages throw (RetryAfterError retries that step; NonRetriableError fails the run).
 */
export async function animateClipDurably(
  step: KadrStep,
  options: DurableClipOptions,
): Promise<string | null> {
  const { name, jobId, index, onRefusal } = options;
  const submitted = await step.run(name, async () => {
    const rt = await getRuntime();
    await options.before?.(rt);
    const result = await submitClipStage(rt, jobId, index, {
      onRefusal,
      maxWaitSeconds: options.maxWaitSeconds,
    });
    if (result.status !== "submitted") {
      await options.settle?.(rt, result.status === "ready" ? result.assetId : null);
    }
    return result;
  });
  if (submitted.status === "ready") return submitted.assetId;
  if (submitted.status === "failed") return null;
  for (let n = 1; ; n++) {
    await step.sleep(`${name}-wait-${n}`, `${pollDelaySeconds(submitted.pollSeconds, n)}s`);
    const checked = await step.run(`${name}-check-${n}`, async () => {
      const rt = await getRuntime();
      const result = await checkClipStage(rt, jobId, index, submitted.providerJobId, {
        onRefusal,
        deadline: submitted.deadline,
        maxWaitSeconds: submitted.maxWaitSeconds,
      });
      if (result.status !== "pending") {
        await options.settle?.(rt, result.status === "ready" ? result.assetId : null);
      }
      return result;
    });
    if (checked.status === "ready") return checked.assetId;
    if (checked.status === "failed") return null;
  }
}
