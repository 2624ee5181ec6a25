/**
 * Delivery of a finished video to a Telegram chat with sendVideo
 * (https://core.telegram.org/bots/api#sendvideo): supports_streaming, duration, width, height, a
 * thumbnail, a caption (≤ 1,024 characters) and the menu [Open in editor] [New video].
 *
 * The first upload's `file_id` is stored on the asset (assets.telegramFileId) and every later send
 * of the same video — re-sends, other subscribers — passes that string, so the file is uploaded
 * once (https://core.telegram.org/bots/api#sending-files: no size limit for file_id sends).
 * Uploads are limited to 50 MB: a bigger video is sent as the Telegram rendition of lib/media
 * (fitForTelegram, whose file_id is then the asset's Telegram copy), or, when no rendition fits,
 * as a link to the studio.
 */
import fs from "node:fs";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { type Api, GrammyError, InputFile } from "grammy";
import type { Db } from "@/lib/db";
import { type Asset, assets, type Job, segments, subscriptions } from "@/lib/db/schema";
import { fitForTelegram, TELEGRAM_MAX_VIDEO_BYTES } from "@/lib/media/telegram";
import { writeTelegramThumbnail } from "@/lib/media/thumbnails";
import type { BlobStore } from "@/lib/storage";
import { getJob } from "@/lib/studio/jobs";
import { botDeepLink, deliveryKeyboard, miniAppUrl } from "./links";
import { type ChatSubscription, markDelivered } from "./subscriptions";
import { texts } from "./texts";

/** Longest caption Telegram accepts, in characters. */
export const MAX_CAPTION_CHARS = 1024;

export interface DeliveryDeps {
  db: Db;
  api: Api;
  store: BlobStore;
  /** Scratch directory for thumbnails and renditions. */
  workDir: string;
  publicUrl: string | undefined;
  botUsername: string | undefined;
  /** Upload limit in bytes (default TELEGRAM_MAX_VIDEO_BYTES, 50 MB). */
  maxUploadBytes?: number;
}

/** How a video reached a chat. */
export type DeliveryMethod = "file_id" | "upload" | "rendition" | "link";

/** The caption under a delivered video: title, then duration and size; cut to 1,024 characters. */
export function videoCaption(job: Job, video: Asset): string {
  const title = job.script?.title || job.topic;
  const facts = [
    video.durationSeconds ? `${Math.round(video.durationSeconds)} s` : undefined,
    video.width && video.height ? `${video.width}×${video.height}` : undefined,
  ].filter(Boolean);
  const caption = `🎬 ${title}\n${facts.join(" · ")}`.trim();
  return caption.length > MAX_CAPTION_CHARS ? `${caption.slice(0, MAX_CAPTION_CHARS - 1)}…` : caption;
}

function isWrongFileIdError(err: unknown): boolean {
  return err instanceof GrammyError && /wrong file identifier|wrong remote file/i.test(err.description);
}

/**
 * Sends the video asset `assetId` of job `jobId` to one subscribed chat and marks the subscription
 * delivered. Re-running it for a delivered (or deleted) subscription does nothing, unless
 * `options.resend` (the user asked for the video again, e.g. a repeated greeting request).
 * The menu under the video has [➕ Extend] when the chat's user owns the job.
 * @returns how the video was sent, or "skipped" for an already delivered subscription.
 * @throws GrammyError / HttpError from the Bot API (after auto-retry), so the calling step retries.
 */
export async function deliverVideoToChat(
  deps: DeliveryDeps,
  jobId: string,
  assetId: string,
  chat: ChatSubscription,
  { resend = false }: { resend?: boolean } = {},
): Promise<DeliveryMethod | "skipped"> {
  const [subscription] = await deps.db
    .select({ deliveredAt: subscriptions.deliveredAt })
    .from(subscriptions)
    .where(eq(subscriptions.id, chat.subscriptionId));
  if (!subscription || (subscription.deliveredAt && !resend)) return "skipped";
  const job = await getJob(deps.db, jobId);
  const [video] = await deps.db.select().from(assets).where(eq(assets.id, assetId));
  if (!video) throw new Error(`No asset ${assetId} for job ${jobId}`);
  const options = {
    supports_streaming: true,
    duration: video.durationSeconds ? Math.round(video.durationSeconds) : undefined,
    width: video.width ?? undefined,
    height: video.height ?? undefined,
    caption: videoCaption(job, video),
    reply_markup: deliveryKeyboard(deps.publicUrl, jobId, chat.language, chat.userId === job.ownerId),
  };
  let method: DeliveryMethod | undefined;
  if (video.telegramFileId) {
    try {
      await deps.api.sendVideo(chat.chatId, video.telegramFileId, options);
      method = "file_id";
    } catch (err) {
      // A file_id belongs to one bot: after a token change the stored one is useless.
      if (!isWrongFileIdError(err)) throw err;
      await deps.db.update(assets).set({ telegramFileId: null }).where(eq(assets.id, video.id));
    }
  }
  method ??= await uploadVideo(deps, job, video, chat, options);
  await markDelivered(deps.db, chat.subscriptionId);
  return method;
}

async function uploadVideo(
  deps: DeliveryDeps,
  job: Job,
  video: Asset,
  chat: ChatSubscription,
  options: Parameters<Api["sendVideo"]>[2] & object,
): Promise<DeliveryMethod> {
  const maxBytes = deps.maxUploadBytes ?? TELEGRAM_MAX_VIDEO_BYTES;
  const dir = path.join(deps.workDir, `telegram-${video.id}-${chat.subscriptionId}`);
  await fs.promises.mkdir(dir, { recursive: true });
  try {
    let file = { path: deps.store.pathOf(video.storageKey), width: video.width, height: video.height };
    let method: DeliveryMethod = "upload";
    if (video.bytes > maxBytes) {
      const rendition = await fitForTelegram({
        inputPath: file.path,
        outPath: path.join(dir, "telegram.mp4"),
        maxBytes,
      }).catch(() => undefined);
      if (!rendition) {
        await sendLink(deps, job, video, chat);
        return "link";
      }
      file = rendition;
      method = "rendition";
    }
    const thumbnail = await thumbnailOf(deps, job, dir);
    const message = await deps.api.sendVideo(chat.chatId, new InputFile(file.path, `${job.id}.mp4`), {
      ...options,
      width: file.width ?? undefined,
      height: file.height ?? undefined,
      ...(thumbnail ? { thumbnail: new InputFile(thumbnail, "thumbnail.jpg") } : {}),
    });
    const fileId = message.video?.file_id;
    if (fileId) await deps.db.update(assets).set({ telegramFileId: fileId }).where(eq(assets.id, video.id));
    return method;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** A ≤ 320 px JPEG of the job's first image, or undefined when there is none. */
async function thumbnailOf(deps: DeliveryDeps, job: Job, dir: string): Promise<string | undefined> {
  const [first] = await deps.db
    .select({ storageKey: assets.storageKey })
    .from(segments)
    .innerJoin(assets, eq(assets.id, segments.imageAssetId))
    .where(eq(segments.jobId, job.id))
    .orderBy(asc(segments.index))
    .limit(1);
  if (!first) return undefined;
  const out = path.join(dir, "thumbnail.jpg");
  return writeTelegramThumbnail(deps.store.pathOf(first.storageKey), out)
    .then((thumb) => thumb.path)
    .catch(() => undefined);
}

async function sendLink(deps: DeliveryDeps, job: Job, video: Asset, chat: ChatSubscription): Promise<void> {
  const t = texts(chat.language);
  const url =
    miniAppUrl(deps.publicUrl, job.id) ??
    (deps.botUsername ? botDeepLink(deps.botUsername, job.id) : undefined);
  const megabytes = Math.round(video.bytes / 1_000_000);
  await deps.api.sendMessage(chat.chatId, [t.tooBig(megabytes), url].filter(Boolean).join("\n"), {
    reply_markup: deliveryKeyboard(deps.publicUrl, job.id, chat.language, chat.userId === job.ownerId),
  });
}
