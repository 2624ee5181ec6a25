/**
 * Gate previews: what a chat sees when the job waits for approval — the script as text (split into
 * messages under 4,096 characters, https://core.telegram.org/bots/api#sendmessage), the first
 * images as a media group (https://core.telegram.org/bots/api#sendmediagroup), the first clips —
 * each followed by [Approve] [Open storyboard]. Media already uploaded once is re-sent by the
 * `file_id` stored on its asset (assets.telegramFileId); new uploads store theirs.
 */
import { eq, inArray } from "drizzle-orm";
import { type Api, InputFile } from "grammy";
import type { InputMediaPhoto, InputMediaVideo, Message } from "grammy/types";
import type { Db } from "@/lib/db";
import { assets, type Gate } from "@/lib/db/schema";
import type { BlobStore } from "@/lib/storage";
import type { JobView } from "@/lib/studio/jobs";
import { gateKeyboard } from "./links";
import { type ChatLanguage, texts } from "./texts";

/** Longest message text Telegram accepts, in characters. */
export const MAX_MESSAGE_CHARS = 4096;
/**
 * How many images a preview shows (a media group holds 2–10 items, and each item counts against
 * the chat's one-message-per-second limit, so a small grid keeps the chat responsive).
 */
export const PREVIEW_IMAGES = 4;
/** How many clips a preview shows. */
export const PREVIEW_CLIPS = 3;

export interface PreviewDeps {
  db: Db;
  api: Api;
  store: BlobStore;
  publicUrl: string | undefined;
}

/**
 * Splits text into chunks of at most `max` characters, preferring paragraph, then line, then word
 * boundaries; a single longer word is cut.
 */
export function splitMessage(text: string, max = MAX_MESSAGE_CHARS): string[] {
  const chunks: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const cut = [window.lastIndexOf("\n\n"), window.lastIndexOf("\n"), window.lastIndexOf(" ")].find(
      (i) => i > max / 2,
    );
    const at = cut ?? max;
    chunks.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest) chunks.push(rest);
  return chunks;
}

/** Sends the preview of the gate `gate` of the job in `view` to `chatId`. */
export async function sendGatePreview(
  deps: PreviewDeps,
  chatId: number,
  view: JobView,
  gate: Gate,
  language: ChatLanguage,
): Promise<void> {
  const keyboard = gateKeyboard(deps.publicUrl, view.job.id, gate, language);
  const t = texts(language);
  if (gate === "script") {
    const script = view.job.script;
    const body = script
      ? [script.title, script.sections.intro, script.sections.main, script.sections.outro]
          .filter(Boolean)
          .join("\n\n")
      : view.job.topic;
    for (const chunk of splitMessage(body)) await deps.api.sendMessage(chatId, chunk);
    await deps.api.sendMessage(chatId, t.scriptReady, { reply_markup: keyboard });
    return;
  }
  const target = gate === "images" ? "image" : "clip";
  const ready = view.segments.filter((s) => (target === "image" ? s.imageStatus : s.clipStatus) === "ready");
  const shown = ready.slice(0, target === "image" ? PREVIEW_IMAGES : PREVIEW_CLIPS);
  const assetIds = shown
    .map((s) => (target === "image" ? s.imageAssetId : s.clipAssetId))
    .filter(Boolean) as string[];
  await sendMediaPreview(deps, chatId, target, assetIds);
  const total = view.counts.segments;
  const summary = target === "image" ? t.imagesReady(ready.length, total) : t.clipsReady(ready.length, total);
  await deps.api.sendMessage(chatId, summary, { reply_markup: keyboard });
}

/** Sends assets as one photo/video or a media group, reusing and storing Telegram file_ids. */
async function sendMediaPreview(
  deps: PreviewDeps,
  chatId: number,
  target: "image" | "clip",
  assetIds: string[],
) {
  if (!assetIds.length) return;
  const rows = await deps.db.select().from(assets).where(inArray(assets.id, assetIds));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ordered = assetIds.map((id) => byId.get(id)).filter((a) => a !== undefined);
  const media = ordered.map((a) => a.telegramFileId ?? new InputFile(deps.store.pathOf(a.storageKey)));
  let sent: Message[];
  if (media.length === 1) {
    sent = [
      target === "image"
        ? await deps.api.sendPhoto(chatId, media[0]!)
        : await deps.api.sendVideo(chatId, media[0]!, { supports_streaming: true }),
    ];
  } else {
    const group: (InputMediaPhoto | InputMediaVideo)[] = media.map((m) =>
      target === "image"
        ? { type: "photo", media: m }
        : { type: "video", media: m, supports_streaming: true },
    );
    sent = await deps.api.sendMediaGroup(chatId, group);
  }
  await Promise.all(
    ordered.map(async (asset, i) => {
      const message = sent[i];
      const fileId = message?.video?.file_id ?? message?.photo?.at(-1)?.file_id;
      if (fileId && !asset.telegramFileId) {
        await deps.db.update(assets).set({ telegramFileId: fileId }).where(eq(assets.id, asset.id));
      }
    }),
  );
}
