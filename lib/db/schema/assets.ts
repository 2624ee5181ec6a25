import { bigint, index, integer, pgTable, real, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";

/**
 * Kinds of stored media. `thumbnail` (a segment image's or clip's grid WebP) and `poster` (a final
 * video's JPEG/WebP frame) are derived from another asset, named by their cache key
 * (`<kind>:<source sha256>:<variant>`, see lib/studio/thumbnails.ts). `kind` is a text column,
 * so a new kind needs no migration.
 */
export const ASSET_KINDS = ["image", "clip", "narration", "video", "thumbnail", "poster"] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

/**
 * A stored media file. The bytes live in the BlobStore under `storageKey` (content-addressed:
 * the key embeds the sha256), so the same bytes are stored once however often they are produced.
 */
export const assets = pgTable(
  "assets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").$type<AssetKind>().notNull(),
    storageKey: text("storage_key").notNull(),
    /** Hex sha256 of the bytes. */
    sha256: text("sha256").notNull(),
    mime: text("mime").notNull(),
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    /** Duration in seconds for audio and video; null for images. */
    durationSeconds: real("duration_seconds"),
    /** Width and height in px for images and video. */
    width: integer("width"),
    height: integer("height"),
    /** Provider that produced the asset ("local", "openai", …). */
    provider: text("provider").notNull(),
    /** The provider's own job id (long-running generations); up to 512 chars. */
    providerJobId: varchar("provider_job_id", { length: 512 }),
    /** Identifies identical generation requests (provider, model, prompt, parameters). */
    cacheKey: text("cache_key").unique(),
    /** Telegram file_id once the asset has been uploaded to Telegram, reused for later sends. */
    telegramFileId: text("telegram_file_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Removing a blob checks that no other asset row still has its (content-addressed) key.
  (t) => [index("assets_storage_key_idx").on(t.storageKey)],
);

export type Asset = typeof assets.$inferSelect;
