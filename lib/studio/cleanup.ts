/**
 * Removing a rejected job's files. Assets are shared: the asset cache hands one image, clip or
 * narration to every job that asks for the same thing (lib/studio/pipeline.ts `cacheKeyOf`), and
 * blobs are content-addressed, so one blob may back several asset rows. A job's files are therefore
 * removed only where nothing else uses them: an asset row goes when no other job's segment, final
 * video or shared generation refers to it; its blob goes when no remaining asset row has its key.
 * An asset's thumbnail or posters (./thumbnails.ts) go with it unless an asset of the same kind with
 * the same bytes (sha256) remains, since derived images are keyed by the source's content.
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq, inArray, ne, or } from "drizzle-orm";
import { assets, generations, jobs, segments } from "@/lib/db/schema";
import type { Runtime } from "@/lib/runtime";
import { derivedCacheKeysOf } from "./thumbnails";

/** What `removeJobFiles` removed. */
export interface RemovedFiles {
  /** Asset rows deleted. */
  assets: number;
  /** Blobs removed from the store. */
  blobs: number;
  /** Bytes of the removed blobs. */
  bytes: number;
}

/**
 * Removes the assets (with their thumbnails and posters) and blobs only job `jobId` uses, and its
 * scratch directory. The job's rows
 * stay (its timeline and ledger are history); its segments lose their media references.
 * Idempotent: a second call removes nothing more.
 * @returns counts of what was removed.
 */
export async function removeJobFiles(rt: Runtime, jobId: string): Promise<RemovedFiles> {
  const db = rt.dbHandle.db;
  const [job] = await db.select({ finalAssetId: jobs.finalAssetId }).from(jobs).where(eq(jobs.id, jobId));
  const segs = await db
    .select({
      image: segments.imageAssetId,
      clip: segments.clipAssetId,
      narration: segments.narrationAssetId,
    })
    .from(segments)
    .where(eq(segments.jobId, jobId));
  const candidates = new Set<string>();
  for (const s of segs) for (const id of [s.image, s.clip, s.narration]) if (id) candidates.add(id);
  if (job?.finalAssetId) candidates.add(job.finalAssetId);
  const removed: RemovedFiles = { assets: 0, blobs: 0, bytes: 0 };
  await fs.promises.rm(path.join(rt.workDir, jobId), { recursive: true, force: true });
  if (!candidates.size) return removed;

  const ids = [...candidates];
  const usedElsewhere = new Set<string>();
  const otherSegments = await db
    .select({
      image: segments.imageAssetId,
      clip: segments.clipAssetId,
      narration: segments.narrationAssetId,
    })
    .from(segments)
    .where(
      and(
        ne(segments.jobId, jobId),
        or(
          inArray(segments.imageAssetId, ids),
          inArray(segments.clipAssetId, ids),
          inArray(segments.narrationAssetId, ids),
        ),
      ),
    );
  for (const s of otherSegments)
    for (const id of [s.image, s.clip, s.narration]) if (id) usedElsewhere.add(id);
  const otherJobs = await db
    .select({ id: jobs.finalAssetId })
    .from(jobs)
    .where(and(ne(jobs.id, jobId), inArray(jobs.finalAssetId, ids)));
  for (const j of otherJobs) if (j.id) usedElsewhere.add(j.id);
  const shared = await db
    .select({ id: generations.resultAssetId })
    .from(generations)
    .where(inArray(generations.resultAssetId, ids));
  for (const g of shared) if (g.id) usedElsewhere.add(g.id);

  const exclusive = ids.filter((id) => !usedElsewhere.has(id));
  if (!exclusive.length) return removed;
  await db
    .update(segments)
    .set({ imageAssetId: null, clipAssetId: null, narrationAssetId: null })
    .where(eq(segments.jobId, jobId));
  await db.update(jobs).set({ finalAssetId: null }).where(eq(jobs.id, jobId));
  const columns = {
    storageKey: assets.storageKey,
    bytes: assets.bytes,
    kind: assets.kind,
    sha256: assets.sha256,
  };
  const deleted = await db.delete(assets).where(inArray(assets.id, exclusive)).returning(columns);
  // Their thumbnails and posters go with them, unless an asset with the same bytes remains.
  const derivedKeys: string[] = [];
  for (const source of deleted) {
    const keys = derivedCacheKeysOf(source);
    if (!keys.length) continue;
    const [twin] = await db
      .select({ id: assets.id })
      .from(assets)
      .where(and(eq(assets.sha256, source.sha256), eq(assets.kind, source.kind)));
    if (!twin) derivedKeys.push(...keys);
  }
  if (derivedKeys.length) {
    deleted.push(
      ...(await db.delete(assets).where(inArray(assets.cacheKey, derivedKeys)).returning(columns)),
    );
  }
  removed.assets = deleted.length;
  for (const { storageKey, bytes } of deleted) {
    const [still] = await db.select({ id: assets.id }).from(assets).where(eq(assets.storageKey, storageKey));
    if (still || !(await rt.store.exists(storageKey))) continue;
    await rt.store.remove(storageKey);
    removed.blobs += 1;
    removed.bytes += bytes;
  }
  return removed;
}
