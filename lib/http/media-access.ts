/**
 * Who may read a stored blob: its key must belong to an asset that one of the caller's jobs uses
 * right now — a segment's image, clip or narration, or the job's final video — or be the final
 * video of a job the caller subscribed to (a shared generation, e.g. a greeting). Keys are
 * content-addressed, so identical bytes made for two users are readable by both; a replaced take
 * (regenerated image) is no longer readable. A derived image (`thumbnail`, `poster`; cache key
 * `<kind>:<source sha256>:<variant>`, lib/studio/thumbnails.ts) is readable when its source is.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { assets, jobs, segments, subscriptions } from "@/lib/db/schema";
import { DERIVED_IMAGE_KINDS } from "@/lib/studio/thumbnails";

/** True when `storageKey` is media of one of `ownerId`'s jobs, or a thumbnail/poster of such media. */
export async function ownsMedia(db: Db, storageKey: string, ownerId: string): Promise<boolean> {
  const rows = await db.execute<{ one: number }>(sql`
    select 1 as one from ${assets} a
    where a.storage_key = ${storageKey} and (
      ${usedBy(sql`a`, ownerId)}
      or (
        a.kind in (${sql.join(
          DERIVED_IMAGE_KINDS.map((k) => sql`${k}`),
          sql`, `,
        )})
        and exists (
          select 1 from ${assets} src
          where src.sha256 = split_part(a.cache_key, ':', 2) and ${usedBy(sql`src`, ownerId)}
        )
      )
    )
    limit 1`);
  return rowsOf(rows).length > 0;
}

/**
 * SQL: the asset row `alias` is a current segment image/clip/narration or final video of one of
 * the owner's jobs, or the final video of a job the owner subscribed to.
 */
function usedBy(alias: SQL, ownerId: string): SQL {
  return sql`(
      exists (
        select 1 from ${segments} s join ${jobs} j on j.id = s.job_id
        where j.owner_id = ${ownerId}
          and ${alias}.id in (s.image_asset_id, s.clip_asset_id, s.narration_asset_id)
      )
      or exists (select 1 from ${jobs} j where j.owner_id = ${ownerId} and j.final_asset_id = ${alias}.id)
      or exists (
        select 1 from ${subscriptions} sub join ${jobs} j on j.id = sub.job_id
        where sub.user_id = ${ownerId} and j.final_asset_id = ${alias}.id
      )
    )`;
}

/** drizzle's `execute` answers an array (postgres.js) or `{ rows }` (PGlite). */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}
