/**
 * Who may read a stored blob: its key must belong to an asset that one of the caller's jobs uses
 * right now — a segment's image, clip or narration, or the job's final video — or be the final
 * video of a job the caller subscribed to (a shared generation, e.g. a greeting). Keys are
 * content-addressed, so identical bytes made for two users are readable by both; a replaced take
 * (regenerated image) is no longer readable.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { assets, jobs, segments, subscriptions } from "@/lib/db/schema";

/** True when `storageKey` is media of one of `ownerId`'s jobs. */
export async function ownsMedia(db: Db, storageKey: string, ownerId: string): Promise<boolean> {
  const rows = await db.execute<{ one: number }>(sql`
    select 1 as one from ${assets} a
    where a.storage_key = ${storageKey} and (
      exists (
        select 1 from ${segments} s join ${jobs} j on j.id = s.job_id
        where j.owner_id = ${ownerId}
          and a.id in (s.image_asset_id, s.clip_asset_id, s.narration_asset_id)
      )
      or exists (select 1 from ${jobs} j where j.owner_id = ${ownerId} and j.final_asset_id = a.id)
      or exists (
        select 1 from ${subscriptions} sub join ${jobs} j on j.id = sub.job_id
        where sub.user_id = ${ownerId} and j.final_asset_id = a.id
      )
    )
    limit 1`);
  return rowsOf(rows).length > 0;
}

/** drizzle's `execute` answers an array (postgres.js) or `{ rows }` (PGlite). */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}
