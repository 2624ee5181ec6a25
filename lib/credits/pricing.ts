/**
 * What a job costs, in credits, per paid stage: the script (once per job), an image and a clip per
 * segment, and narration per second of video. The estimate is what the pipeline reserves before
 * each stage; what a stage really spent is captured afterwards and the rest released.
 */

/** The paid stages of a job, in pipeline order. */
export const PAID_STAGES = ["script", "images", "clips", "narration"] as const;
export type PaidStage = (typeof PAID_STAGES)[number];

/** Prices in credits. */
export interface PriceTable {
  /** Per job: writing the script and planning the segments. */
  script: number;
  /** Per segment image. */
  imagePerSegment: number;
  /** Per segment clip. */
  clipPerSegment: number;
  /** Per second of narrated video (rounded up per stage). */
  narrationPerSecond: number;
}

/** Kadr's default prices: a 10 × 5 s video costs 2 + 10 + 20 + 10 = 42 credits. */
export const DEFAULT_PRICES: PriceTable = {
  script: 2,
  imagePerSegment: 1,
  clipPerSegment: 2,
  narrationPerSecond: 0.2,
};

/** A job's estimated cost: credits per paid stage and their total. */
export interface JobEstimate {
  stages: Record<PaidStage, number>;
  total: number;
}

/**
 * Estimates a job's cost per paid stage.
 * @param format.segmentCount number of segments (≥ 1); format.segmentSeconds seconds per segment.
 * @returns whole credits per stage (narration rounded up) and the total.
 */
export function estimateJob(
  format: { segmentCount: number; segmentSeconds: number },
  prices: PriceTable = DEFAULT_PRICES,
): JobEstimate {
  const stages: Record<PaidStage, number> = {
    script: prices.script,
    images: format.segmentCount * prices.imagePerSegment,
    clips: format.segmentCount * prices.clipPerSegment,
    narration: narrationCredits(format.segmentCount * format.segmentSeconds, prices),
  };
  return { stages, total: PAID_STAGES.reduce((sum, stage) => sum + stages[stage], 0) };
}

/**
 * Cost of extending a finished video by one segment (image, clip and narration; no script).
 * @returns whole credits.
 */
export function estimateExtension(segmentSeconds: number, prices: PriceTable = DEFAULT_PRICES): number {
  return prices.imagePerSegment + prices.clipPerSegment + narrationCredits(segmentSeconds, prices);
}

/** Credits for `seconds` of narration, rounded up (a fraction of a credit costs a whole one). */
function narrationCredits(seconds: number, prices: PriceTable): number {
  // Round away float noise first (0.2 × 50 = 10.000000000000002 must cost 10, not 11).
  return Math.ceil(Number((seconds * prices.narrationPerSecond).toFixed(6)));
}

/**
 * The ledger keys of one paid stage of a job: its reservation, the capture after success and the
 * release of what is left. Using these everywhere makes a retried step book nothing twice.
 */
export function stageCreditKeys(jobId: string, stage: PaidStage) {
  return {
    reservation: `job:${jobId}:${stage}`,
    capture: `job:${jobId}:${stage}:done`,
    release: `job:${jobId}:${stage}:settled`,
  };
}
