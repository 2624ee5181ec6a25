/**
 * How the pipeline settles a job's credits against the reservations `createJob` made (one per paid
 * stage, keys from `stageCreditKeys`). Every call is idempotent on fixed ledger keys, so a step
 * retried under the executor's at-least-once rule books nothing twice:
 *
 * - script: captured whole once the segments are planned (`chargeStage`);
 * - images, clips: one segment's share captured when its media is ready (`chargeSegment`); what a
 *   stage still holds after its gate is approved (segments that failed and were regenerated at
 *   their own cost) is released (`settleStage`);
 * - narration: captured whole after assembly;
 * - failure, cancellation, gate timeout, completion: everything still held is released
 *   (`releaseJobCredits`).
 *
 * A regeneration is paid separately: `requestRegeneration` reserves one segment's price under
 * `regenerationCreditKey`, captured when the new take is ready and released when it fails.
 * Jobs stored before credits existed have no reservations: settling them books nothing.
 */

import { capture, getReservation, type ReservationState, release, releaseJob } from "@/lib/credits/ledger";
import { type PaidStage, stageCreditKeys } from "@/lib/credits/pricing";
import type { Db } from "@/lib/db";
import { AppError } from "@/lib/errors";

/** The ledger key of a regeneration's reservation (variation = the new take's number, ≥ 1). */
export function regenerationCreditKey(
  jobId: string,
  target: "image" | "clip",
  index: number,
  variation: number,
): string {
  return `job:${jobId}:regen:${target}:${index}:${variation}`;
}

/** The reservation under `key`, or undefined when there is none (a job from before credits). */
async function findReservation(db: Db, key: string): Promise<ReservationState | undefined> {
  try {
    return await getReservation(db, key);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") return undefined;
    throw err;
  }
}

/**
 * Captures one segment's share of a per-segment stage: the stage's reservation divided by the
 * job's segment count (it was reserved as count × price per segment).
 * @returns the credits captured (0 when already captured or nothing is reserved).
 */
export async function chargeSegment(
  db: Db,
  jobId: string,
  stage: "images" | "clips",
  index: number,
  segmentCount: number,
): Promise<number> {
  const key = stageCreditKeys(jobId, stage).reservation;
  const reservation = await findReservation(db, key);
  if (!reservation || segmentCount < 1) return 0;
  const share = Math.floor(reservation.reserved / segmentCount);
  if (share < 1) return 0;
  return (await capture(db, { reservationKey: key, amount: share, key: `segment-${index}` })).amount;
}

/**
 * Captures all a stage still holds (the script after planning, the narration after assembly).
 * @returns the credits captured.
 */
export async function chargeStage(db: Db, jobId: string, stage: PaidStage): Promise<number> {
  const keys = stageCreditKeys(jobId, stage);
  const reservation = await findReservation(db, keys.reservation);
  if (!reservation) return 0;
  const amount = Math.max(reservation.remaining, 1);
  return (await capture(db, { reservationKey: keys.reservation, amount, key: "done" })).amount;
}

/**
 * Releases what a stage still holds (after its gate is approved, nothing more is spent from it).
 * @returns the credits released.
 */
export async function settleStage(db: Db, jobId: string, stage: PaidStage): Promise<number> {
  const keys = stageCreditKeys(jobId, stage);
  if (!(await findReservation(db, keys.reservation))) return 0;
  return (await release(db, { reservationKey: keys.reservation, key: "settled" })).amount;
}

/**
 * Releases everything the job still holds: its stage reservations and any open regeneration.
 * @param reason the release key, e.g. "failed", "cancelled", "expired", "completed".
 * @returns the credits released.
 */
export async function releaseJobCredits(db: Db, jobId: string, reason: string): Promise<number> {
  return releaseJob(db, { jobId, key: reason });
}

/**
 * Settles a regeneration's reservation: captured whole when the new take is ready, released when
 * it failed. Does nothing without a reservation.
 * @returns the credits captured or released.
 */
export async function settleRegeneration(
  db: Db,
  input: { jobId: string; target: "image" | "clip"; index: number; variation: number; succeeded: boolean },
): Promise<number> {
  const key = regenerationCreditKey(input.jobId, input.target, input.index, input.variation);
  const reservation = await findReservation(db, key);
  if (!reservation) return 0;
  if (input.succeeded) {
    const amount = Math.max(reservation.remaining, 1);
    return (await capture(db, { reservationKey: key, amount, key: "done" })).amount;
  }
  return (await release(db, { reservationKey: key, key: "failed" })).amount;
}
