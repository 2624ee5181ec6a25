/**
 * Links into the Mini App and the inline keyboards that carry them. The Mini App lives at
 * `${PUBLIC_URL}/tma`; a job opens at `${PUBLIC_URL}/tma?startapp=<jobId>` — the same value a
 * `https://t.me/<bot>?startapp=<jobId>` link passes as initData `start_param`
 * (https://core.telegram.org/bots/webapps#launching-the-main-mini-app). web_app buttons need an
 * HTTPS URL and work in private chats only (https://core.telegram.org/bots/api#inlinekeyboardbutton),
 * so without an https PUBLIC_URL the bot simply leaves them out.
 */
import { InlineKeyboard } from "grammy";
import type { Gate } from "@/lib/db/schema";
import { type ChatLanguage, texts } from "./texts";

/** Path of the Mini App route under PUBLIC_URL. */
export const MINI_APP_PATH = "/tma";

/** Job ids as they appear in deep links: ≤ 64 chars of [A-Za-z0-9_-]. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The Mini App's URL, or undefined when PUBLIC_URL is not an https origin. */
export function miniAppUrl(publicUrl: string | undefined, jobId?: string): string | undefined {
  if (!publicUrl?.startsWith("https://")) return undefined;
  const url = `${publicUrl}${MINI_APP_PATH}`;
  return jobId ? `${url}?startapp=${encodeURIComponent(jobId)}` : url;
}

/** `https://t.me/<bot>?start=<jobId>`: opens the bot chat at the job (works without PUBLIC_URL). */
export function botDeepLink(username: string, jobId: string): string {
  return `https://t.me/${username}?start=${encodeURIComponent(jobId)}`;
}

/** Callback data of the inline buttons (each ≤ 64 bytes: job ids are 12 chars). */
export const callbackData = {
  approve: (jobId: string, gate: Gate) => `approve:${jobId}:${gate}`,
  retry: (jobId: string, target: "image" | "clip") => `retry:${jobId}:${target}`,
  cancel: (jobId: string) => `cancel:${jobId}`,
  keep: (jobId: string) => `keep:${jobId}`,
  newVideo: () => "new",
  /** `buy` opens the pack chooser; `buy:<packId>` sends that pack's invoice. */
  buy: (packId?: string) => (packId ? `buy:${packId}` : "buy"),
  /** `greet` opens the template chooser; `greet:<templateId>` asks for the name. */
  greet: (templateId?: string) => (templateId ? `greet:${templateId}` : "greet"),
  /** Asks for the prompt of one more segment of a finished video. */
  extend: (jobId: string) => `extend:${jobId}`,
};

/** [Open storyboard] for a job, or undefined (no keyboard) without an https PUBLIC_URL. */
export function storyboardKeyboard(
  publicUrl: string | undefined,
  jobId: string,
  language: ChatLanguage,
): InlineKeyboard | undefined {
  const url = miniAppUrl(publicUrl, jobId);
  return url ? new InlineKeyboard().webApp(texts(language).openStoryboard, url) : undefined;
}

/** [Approve] [Open storyboard] under a gate preview. */
export function gateKeyboard(
  publicUrl: string | undefined,
  jobId: string,
  gate: Gate,
  language: ChatLanguage,
) {
  const keyboard = new InlineKeyboard().text(texts(language).approve, callbackData.approve(jobId, gate));
  const url = miniAppUrl(publicUrl, jobId);
  return url ? keyboard.webApp(texts(language).openStoryboard, url) : keyboard;
}

/**
 * The menu under a delivered video: [Open in editor] [New video], and a second row [➕ Extend] when
 * `extendable` (the chat's user owns the job: only the owner may extend it).
 */
export function deliveryKeyboard(
  publicUrl: string | undefined,
  jobId: string,
  language: ChatLanguage,
  extendable = false,
) {
  const t = texts(language);
  const url = miniAppUrl(publicUrl, jobId);
  const keyboard = url ? new InlineKeyboard().webApp(t.openEditor, url) : new InlineKeyboard();
  keyboard.text(t.newVideo, callbackData.newVideo());
  return extendable ? keyboard.row().text(t.extend, callbackData.extend(jobId)) : keyboard;
}
