/**
 * Derived images of stored media, each stored as its own asset (issue 4):
 *
 * | source asset | derived asset(s) | made by (lib/media/thumbnails) |
 * |---|---|---|
 * | `image` (segment still) | `thumbnail`: WebP, 320 px wide, aspect kept | `writeImageThumbnail` |
 * | `clip` | `thumbnail`: the first frame, WebP, 320 px wide | `writeClipThumbnail` |
 * | `video` (final) | `poster` ×2: the frame at ~1 s at full size, JPEG and WebP | `writePoster` |
 *
 * There is no column linking a derived asset to its source: the relation is the derived asset's
 * `cache_key`, `<kind>:<source sha256>:<variant>` (e.g. `thumbnail:<sha>:w320.webp`), derived from
 * the source's content and the output size/format only. So a retried step finds what an earlier
 * attempt stored (at-least-once executor), identical sources share one thumbnail, and the media
 * route can authorize a derived key through its source (lib/http/media-access.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inArray } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { type Asset, type AssetKind, assets } from "@/lib/db/schema";
import {
  GRID_THUMBNAIL_WIDTH,
  writeClipThumbnail,
  writeImageThumbnail,
  writePoster,
} from "@/lib/media/thumbnails";
import type { BlobStore } from "@/lib/storage";

/** Kinds of derived images; their cache keys embed the source's sha256 as the second `:` field. */
export const DERIVED_IMAGE_KINDS = ["thumbnail", "poster"] as const satisfies readonly AssetKind[];

/** The variants each source kind gets, by cache-key suffix. */
const VARIANTS = {
  thumbnail: `w${GRID_THUMBNAIL_WIDTH}.webp`,
  posterJpeg: "full.jpg",
  posterWebp: "full.webp",
} as const;

/** Cache key of a segment image's or clip's grid thumbnail (WebP, 320 px wide). */
export function thumbnailCacheKey(sourceSha256: string): string {
  return `thumbnail:${sourceSha256}:${VARIANTS.thumbnail}`;
}

/** Cache keys of a final video's posters (full size, JPEG and WebP). */
export function posterCacheKeys(sourceSha256: string): { jpeg: string; webp: string } {
  return {
    jpeg: `poster:${sourceSha256}:${VARIANTS.posterJpeg}`,
    webp: `poster:${sourceSha256}:${VARIANTS.posterWebp}`,
  };
}

interface DerivedSpec {
  kind: (typeof DERIVED_IMAGE_KINDS)[number];
  cacheKey: string;
  ext: "webp" | "jpg";
  mime: "image/webp" | "image/jpeg";
}

function specsOf(source: Pick<Asset, "kind" | "sha256">): DerivedSpec[] {
  if (source.kind === "image" || source.kind === "clip") {
    return [
      { kind: "thumbnail", cacheKey: thumbnailCacheKey(source.sha256), ext: "webp", mime: "image/webp" },
    ];
  }
  if (source.kind === "video") {
    const keys = posterCacheKeys(source.sha256);
    return [
      { kind: "poster", cacheKey: keys.jpeg, ext: "jpg", mime: "image/jpeg" },
      { kind: "poster", cacheKey: keys.webp, ext: "webp", mime: "image/webp" },
    ];
  }
  return [];
}

/** The cache keys of the derived images a source asset gets (none for narration and derived kinds). */
export function derivedCacheKeysOf(source: Pick<Asset, "kind" | "sha256">): string[] {
  return specsOf(source).map((s) => s.cacheKey);
}

/**
 * Makes and stores the derived images of `source` (see the table above) unless they are stored
 * already; idempotent and safe to run concurrently (the rows are inserted on conflict do nothing
 * by cache key, the blobs are content-addressed). Narration and derived assets get nothing.
 * @returns the derived assets (thumbnail: one; poster: JPEG then WebP; otherwise empty).
 * @throws MediaError (INVALID_INPUT, PROBE_FAILED, FFMPEG_FAILED) when the source cannot be decoded.
 */
export async function ensureDerivedImages(
  deps: { db: Db; store: BlobStore },
  source: Asset,
): Promise<Asset[]> {
  const specs = specsOf(source);
  if (!specs.length) return [];
  const keys = specs.map((s) => s.cacheKey);
  const stored = await deps.db.select().from(assets).where(inArray(assets.cacheKey, keys));
  if (stored.length === specs.length) return keys.map((k) => stored.find((a) => a.cacheKey === k)!);

  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-derived-"));
  try {
    const sourcePath = await deps.store.localPath(source.storageKey);
    const outPaths = specs.map((s, i) => path.join(dir, `${i}.${s.ext}`));
    const files =
      source.kind === "video"
        ? await writePoster({ videoPath: sourcePath, jpegPath: outPaths[0]!, webpPath: outPaths[1]! }).then(
            (p) => [p.jpeg, p.webp],
          )
        : [
            source.kind === "clip"
              ? await writeClipThumbnail(sourcePath, outPaths[0]!)
              : await writeImageThumbnail(sourcePath, outPaths[0]!),
          ];
    for (const [i, spec] of specs.entries()) {
      const file = files[i]!;
      const blob = await deps.store.putFile(file.path, spec.kind, spec.ext);
      await deps.db
        .insert(assets)
        .values({
          kind: spec.kind,
          storageKey: blob.key,
          sha256: blob.sha256,
          mime: spec.mime,
          bytes: blob.bytes,
          width: file.width,
          height: file.height,
          provider: "kadr",
          cacheKey: spec.cacheKey,
        })
        .onConflictDoNothing();
    }
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  const rows = await deps.db.select().from(assets).where(inArray(assets.cacheKey, keys));
  return keys.map((k) => rows.find((a) => a.cacheKey === k)!);
}

/** The derived images' storage keys of some source assets, by source asset id (absent: none yet). */
export interface DerivedKeys {
  /** Grid thumbnail (WebP) of an image or clip. */
  thumbnail?: string;
  /** Posters of a final video. */
  posterJpeg?: string;
  posterWebp?: string;
}

/**
 * Looks up the stored derived images of the given source assets (two queries, whatever the count).
 * @returns a map from source asset id to the storage keys of its derived images.
 */
export async function derivedKeysOf(db: Db, sourceIds: string[]): Promise<Map<string, DerivedKeys>> {
  const result = new Map<string, DerivedKeys>();
  const ids = [...new Set(sourceIds)];
  if (!ids.length) return result;
  const sources = await db
    .select({ id: assets.id, kind: assets.kind, sha256: assets.sha256 })
    .from(assets)
    .where(inArray(assets.id, ids));
  const wanted = sources.flatMap((s) => specsOf(s).map((spec) => ({ id: s.id, key: spec.cacheKey })));
  if (!wanted.length) return result;
  const rows = await db
    .select({ cacheKey: assets.cacheKey, storageKey: assets.storageKey })
    .from(assets)
    .where(
      inArray(
        assets.cacheKey,
        wanted.map((w) => w.key),
      ),
    );
  const byKey = new Map(rows.map((r) => [r.cacheKey, r.storageKey]));
  for (const { id, key } of wanted) {
    const storageKey = byKey.get(key);
    if (!storageKey) continue;
    const entry = result.get(id) ?? {};
    if (key.startsWith("thumbnail:")) entry.thumbnail = storageKey;
    else if (key.endsWith(VARIANTS.posterJpeg)) entry.posterJpeg = storageKey;
    else entry.posterWebp = storageKey;
    result.set(id, entry);
  }
  return result;
}
