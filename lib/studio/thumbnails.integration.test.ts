/**
 * Posters and thumbnails through the real pipeline (issue 4): the embedded executor runs
 * produce-video on the local providers, the test approves the gates (and uploads its own image for
 * one segment), then checks the derived assets' rows and pixels, the job JSON's URLs, and that the
 * media route serves them to the owner only.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, like } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getMedia } from "@/app/api/media/[...key]/route";
import { GET as getJobRoute } from "@/app/api/v1/jobs/[id]/route";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { DbHandle } from "@/lib/db";
import { type Asset, assets, users } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { type JobViewJson, listJobSummaries } from "@/lib/http/job-json";
import { ownsMedia } from "@/lib/http/media-access";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { uploadSegmentImage } from "./editing";
import { approveGate, createJob, ensureLocalOwner, getJobView, type JobView, type StudioDeps } from "./jobs";
import { ensureDerivedImages, posterCacheKeys, thumbnailCacheKey } from "./thumbnails";

let handle: DbHandle;
let runtime: Runtime;
let executor: EmbeddedExecutor;
let deps: StudioDeps;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-thumbs-"));
const savedToken = process.env.TELEGRAM_BOT_TOKEN;

async function until(jobId: string, done: (view: JobView) => boolean): Promise<JobView> {
  for (let i = 0; i < 1800; i++) {
    const view = await getJobView(handle.db, jobId);
    if (done(view)) return view;
    if (view.job.status === "failed") throw new Error(`job failed: ${view.job.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out");
}

async function assetByKey(cacheKey: string): Promise<Asset> {
  const [row] = await handle.db.select().from(assets).where(eq(assets.cacheKey, cacheKey));
  if (!row) throw new Error(`no asset with cache key ${cacheKey}`);
  return row;
}

async function assetById(id: string): Promise<Asset> {
  const [row] = await handle.db.select().from(assets).where(eq(assets.id, id));
  return row!;
}

/** A loopback request in local single-owner mode (no TELEGRAM_BOT_TOKEN): the local owner. */
function localRequest(urlPath: string): Request {
  return new Request(`http://127.0.0.1:3210${urlPath}`, { headers: { host: "127.0.0.1:3210" } });
}

async function fetchMedia(url: string): Promise<Response> {
  const key = url.replace(/^\/api\/media\//, "");
  return getMedia(localRequest(url), { params: Promise.resolve({ key: key.split("/") }) });
}

describe(`posters and thumbnails of a job (${testDbKind()})`, () => {
  beforeAll(async () => {
    delete process.env.TELEGRAM_BOT_TOKEN;
    handle = await openTestDb();
    runtime = await createRuntime({ dbHandle: handle, dataDir, policy: { limits: null } });
    setRuntime(runtime);
    executor = await startEmbeddedEngine({ db: handle.db });
    deps = { db: handle.db, sendEvent: (e) => inngest.send(e) };
  });
  afterAll(async () => {
    await executor.stop();
    setRuntime(undefined);
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (savedToken !== undefined) process.env.TELEGRAM_BOT_TOKEN = savedToken;
  });

  it("stores a 320 px WebP per segment image (rendered and uploaded) and clip, a full-size JPEG/WebP poster, and serves them", async () => {
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob(deps, ownerId, {
      topic: "Lighthouses",
      segmentCount: 2,
      segmentSeconds: 2,
      language: "en",
      aspect: "16:9",
    });
    await until(job.id, (v) => v.job.status === "awaiting_script_approval");
    await approveGate(deps, job.id, "script", "test");
    const atImages = await until(job.id, (v) => v.job.status === "awaiting_images_approval");
    const rendered = await assetById(atImages.segments[1]!.imageAssetId!);
    // Segment 1 gets the user's own picture: a 600×600 JPEG, cropped to the 1280×720 frame.
    const upload = await sharp({
      create: { width: 600, height: 600, channels: 3, background: { r: 200, g: 40, b: 40 } },
    })
      .jpeg()
      .toBuffer();
    await uploadSegmentImage({ ...deps, store: runtime.store }, job.id, 1, upload, "test", ownerId);
    await approveGate(deps, job.id, "images", "test");
    await until(job.id, (v) => v.job.status === "awaiting_clips_approval");
    await approveGate(deps, job.id, "clips", "test");
    const done = await until(job.id, (v) => v.job.status === "completed");

    // Rows and pixels: each segment's image and clip has a 320×180 WebP thumbnail.
    for (const segment of done.segments) {
      for (const sourceId of [segment.imageAssetId!, segment.clipAssetId!]) {
        const source = await assetById(sourceId);
        const thumb = await assetByKey(thumbnailCacheKey(source.sha256));
        expect(thumb).toMatchObject({ kind: "thumbnail", mime: "image/webp", width: 320, height: 180 });
        const meta = await sharp(await runtime.store.localPath(thumb.storageKey)).metadata();
        expect([meta.format, meta.width, meta.height]).toEqual(["webp", 320, 180]);
        expect(meta.size ?? thumb.bytes).toBe(thumb.bytes);
      }
    }
    expect((await assetById(done.segments[1]!.imageAssetId!)).provider).toBe("upload");

    // The poster is the video's full size (1280×720, its 16:9 aspect), as JPEG and WebP.
    const video = await assetById(done.job.finalAssetId!);
    const keys = posterCacheKeys(video.sha256);
    const posters = [await assetByKey(keys.jpeg), await assetByKey(keys.webp)];
    for (const [poster, format, mime] of [
      [posters[0]!, "jpeg", "image/jpeg"],
      [posters[1]!, "webp", "image/webp"],
    ] as const) {
      expect(poster).toMatchObject({ kind: "poster", mime, width: video.width, height: video.height });
      const meta = await sharp(await runtime.store.localPath(poster.storageKey)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 1280, 720]);
    }

    // Idempotent: asking again (a retried step, two at once) stores nothing new.
    const before = await handle.db.select({ id: assets.id }).from(assets);
    const again = await Promise.all([
      ensureDerivedImages({ db: handle.db, store: runtime.store }, video),
      ensureDerivedImages({ db: handle.db, store: runtime.store }, video),
      ensureDerivedImages(
        { db: handle.db, store: runtime.store },
        await assetById(done.segments[0]!.clipAssetId!),
      ),
    ]);
    expect(again[0]!.map((a) => a.id)).toEqual(posters.map((p) => p.id));
    expect(again[1]!.map((a) => a.id)).toEqual(posters.map((p) => p.id));
    expect((await handle.db.select({ id: assets.id }).from(assets)).length).toBe(before.length);
    expect(
      await handle.db
        .select()
        .from(assets)
        .where(like(assets.cacheKey, `poster:${video.sha256}:%`)),
    ).toHaveLength(2);

    // The job JSON names them, and the media route serves them to the owner.
    const response = await getJobRoute(localRequest(`/api/v1/jobs/${job.id}`), {
      params: Promise.resolve({ id: job.id }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as JobViewJson;
    const served: [string, string][] = [];
    for (const [i, s] of body.segments.entries()) {
      const image = await assetById(done.segments[i]!.imageAssetId!);
      const clip = await assetById(done.segments[i]!.clipAssetId!);
      expect(s.imageThumbUrl).toBe(
        `/api/media/${(await assetByKey(thumbnailCacheKey(image.sha256))).storageKey}`,
      );
      expect(s.clipThumbUrl).toBe(
        `/api/media/${(await assetByKey(thumbnailCacheKey(clip.sha256))).storageKey}`,
      );
      served.push([s.imageThumbUrl!, "image/webp"], [s.clipThumbUrl!, "image/webp"]);
    }
    // The history list's thumbnails are the images' grid thumbnails too.
    const [summary] = (await listJobSummaries(handle.db, ownerId)).filter((j) => j.id === job.id);
    expect(summary!.thumbnails).toEqual(body.segments.map((s) => ({ index: s.index, url: s.imageThumbUrl })));
    expect(body.finalAsset).toMatchObject({
      posterUrl: `/api/media/${posters[0]!.storageKey}`,
      posterWebpUrl: `/api/media/${posters[1]!.storageKey}`,
    });
    served.push([body.finalAsset!.posterUrl!, "image/jpeg"], [body.finalAsset!.posterWebpUrl!, "image/webp"]);
    for (const [url, type] of served) {
      const media = await fetchMedia(url);
      expect(media.status, url).toBe(200);
      expect(media.headers.get("content-type")).toBe(type);
      const meta = await sharp(Buffer.from(await media.arrayBuffer())).metadata();
      expect(meta.format).toBe(type === "image/jpeg" ? "jpeg" : "webp");
    }

    // Another user cannot read them; a replaced take's thumbnail (the rendered image of segment 1,
    // replaced by the upload) is no longer readable, like the take itself.
    const [stranger] = await handle.db
      .insert(users)
      .values({ telegramId: 909_090, displayName: "Stranger" })
      .returning({ id: users.id });
    for (const [url] of served) {
      const key = url.replace(/^\/api\/media\//, "");
      expect(await ownsMedia(handle.db, key, ownerId)).toBe(true);
      expect(await ownsMedia(handle.db, key, stranger!.id)).toBe(false);
    }
    const replaced = await assetByKey(thumbnailCacheKey(rendered.sha256));
    expect(await ownsMedia(handle.db, replaced.storageKey, ownerId)).toBe(false);
  });
});
