/**
 * "Send to Telegram chat" from the web final screen: the signed-in Telegram user's private chat
 * (its id is the user's Telegram id) is subscribed to the job and gets the video with
 * deliverVideoToChat — the stored file_id when the video was sent before (no upload), else an
 * upload (or the 50 MB rendition / a link, as delivery decides). Sending again is allowed.
 */
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { GrammyError } from "grammy";
import type { Db } from "@/lib/db";
import { users } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import type { BlobStore } from "@/lib/storage";
import { getJob } from "@/lib/studio/jobs";
import { createTelegramApi } from "./api";
import { type DeliveryMethod, deliverVideoToChat } from "./delivery";
import type { TelegramSettings } from "./settings";
import { subscribeChat } from "./subscriptions";

export interface SendToChatDeps {
  db: Db;
  store: BlobStore;
  /** The bot's settings (loadTelegramSettings); undefined = the bot is off. */
  telegram: TelegramSettings | undefined;
  /** Scratch directory for thumbnails and renditions (default: the OS temp directory). */
  workDir?: string;
}

/**
 * True when `user` can use sendVideoToOwnChat: the bot is configured and the user has a Telegram
 * account (the local owner has none).
 */
export function canSendToChat(telegram: TelegramSettings | undefined, telegramId: number | null): boolean {
  return telegram !== undefined && telegramId !== null;
}

/**
 * Sends job `jobId`'s finished video to the private chat of `userId` (who must own the job).
 * @returns how it was sent: "file_id" (the stored Telegram copy), "upload", "rendition" or "link".
 * @throws AppError("not_found") for unknown jobs and other owners' jobs; AppError("conflict") (409)
 *   when the bot is off, the user has no Telegram account, the job is not completed, or Telegram
 *   refuses the chat (the user never started the bot or blocked it); Bot API errors otherwise.
 */
export async function sendVideoToOwnChat(
  deps: SendToChatDeps,
  jobId: string,
  userId: string,
): Promise<{ method: DeliveryMethod }> {
  const job = await getJob(deps.db, jobId, userId);
  const [user] = await deps.db.select().from(users).where(eq(users.id, userId));
  if (!deps.telegram) {
    throw new AppError(
      "conflict",
      "The Telegram bot is not configured on this server: download the video instead",
    );
  }
  if (!user || !canSendToChat(deps.telegram, user.telegramId)) {
    throw new AppError(
      "conflict",
      "Your account has no Telegram chat: sign in with Telegram to send videos there",
    );
  }
  if (job.status !== "completed" || !job.finalAssetId) {
    throw new AppError(
      "conflict",
      `Job ${jobId} is ${job.status.replaceAll("_", " ")}: only a finished video can be sent`,
    );
  }
  const chatId = user.telegramId!;
  const subscription = await subscribeChat(deps.db, { jobId, userId, chatId });
  const settings = deps.telegram;
  try {
    const method = await deliverVideoToChat(
      {
        db: deps.db,
        store: deps.store,
        workDir: deps.workDir ?? path.join(os.tmpdir(), "kadr-send-to-chat"),
        api: createTelegramApi(settings.token, settings.apiRoot),
        publicUrl: settings.publicUrl,
        botUsername: settings.username,
      },
      jobId,
      job.finalAssetId,
      {
        subscriptionId: subscription.id,
        chatId,
        userId,
        language: user.language === "ru" ? "ru" : "en",
        progressMessageId: subscription.progressMessageId,
      },
      { resend: true },
    );
    // With resend the subscription is never skipped; "skipped" would mean it vanished meanwhile.
    if (method === "skipped")
      throw new AppError("conflict", "The chat stopped following this job; try again");
    return { method };
  } catch (err) {
    if (err instanceof GrammyError && err.error_code === 403) {
      const bot = settings.username ? `@${settings.username}` : "the bot";
      throw new AppError("conflict", `Telegram refused the chat: open ${bot}, press Start, then send again`, {
        cause: err,
      });
    }
    throw err;
  }
}
