/**
 * Flow control for outgoing Bot API calls, as grammY API transformers
 * (https://grammy.dev/advanced/transformers):
 *
 * - a limiter that keeps messages under Telegram's broadcast limits — about 30 messages per second
 *   overall and one per second in a chat (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this);
 *   a media group counts as one message per item;
 * - @grammyjs/auto-retry (https://grammy.dev/plugins/auto-retry) outside it, so a 429 waits
 *   `parameters.retry_after` and the retry passes the limiter again. Its waits are capped: a retry
 *   that would wait longer than `maxRetryDelaySeconds` fails instead. Network and file errors
 *   (grammY's HttpError) are thrown at once: auto-retry would retry them forever, without counting
 *   attempts, with doubling waits (3 s … 1 h) — a preview whose file was removed meanwhile (a
 *   cancelled job's clean-up) then blocked the notifier for good. Callers retry on their own terms:
 *   an Inngest step by its retries, the notifier on its next tick, a webhook update by Telegram's
 *   redelivery.
 *
 * Limits are per process: several app instances share Telegram's limits without coordination, and
 * auto-retry absorbs the rest.
 */
import { autoRetry } from "@grammyjs/auto-retry";
import type { Transformer } from "grammy";

/** Methods that put (or change) a message in a chat and therefore count against its limits. */
const MESSAGE_METHODS = new Set([
  "sendMessage",
  "sendPhoto",
  "sendVideo",
  "sendAnimation",
  "sendDocument",
  "sendAudio",
  "sendVoice",
  "sendMediaGroup",
  "sendInvoice",
  "copyMessage",
  "forwardMessage",
  "editMessageText",
  "editMessageCaption",
  "editMessageMedia",
  "editMessageReplyMarkup",
]);

export interface RateLimitOptions {
  /** Minimum time between two messages in one chat, ms (Telegram: about 1 s). */
  perChatIntervalMs?: number;
  /** Messages per second over all chats (Telegram: about 30). */
  globalPerSecond?: number;
}

/**
 * A transformer that delays message-sending calls so that one chat gets at most one message per
 * `perChatIntervalMs` and all chats together at most `globalPerSecond` per second. Calls without
 * a chat_id and non-message methods (getMe, answerCallbackQuery, sendChatAction, …) pass at once.
 * Slots are reserved on arrival, so concurrent callers are served first come, first served.
 */
export function messageRateLimiter(options: RateLimitOptions = {}): Transformer {
  const perChatMs = options.perChatIntervalMs ?? 1000;
  const globalSpacingMs = 1000 / (options.globalPerSecond ?? 30);
  const chatNextAt = new Map<string, number>();
  let globalSlots: number[] = [];

  /** The earliest time ≥ `from` at least `globalSpacingMs` away from every reserved slot. */
  const reserveGlobal = (from: number): number => {
    let at = from;
    for (const slot of globalSlots) {
      if (slot + globalSpacingMs <= at) continue;
      if (slot >= at + globalSpacingMs) break;
      at = slot + globalSpacingMs;
    }
    globalSlots.push(at);
    globalSlots.sort((a, b) => a - b);
    return at;
  };

  return async (prev, method, payload, signal) => {
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
    if (!MESSAGE_METHODS.has(method) || chatId === undefined) return prev(method, payload, signal);
    const now = Date.now();
    globalSlots = globalSlots.filter((slot) => slot > now - 1000);
    const key = String(chatId);
    const media = (payload as { media?: unknown[] }).media;
    const weight = method === "sendMediaGroup" && Array.isArray(media) ? media.length : 1;
    const at = reserveGlobal(Math.max(now, chatNextAt.get(key) ?? 0));
    chatNextAt.set(key, at + perChatMs * weight);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
    return prev(method, payload, signal);
  };
}

export interface FlowControlOptions extends RateLimitOptions {
  /** Longest `retry_after` waited for, in seconds; longer ones fail the call (default 60). */
  maxRetryDelaySeconds?: number;
  /** Retries per call after 429 / 5xx (default 3); network errors are not retried here. */
  maxRetryAttempts?: number;
}

/**
 * The transformers to install on an Api, innermost first:
 * `api.config.use(...flowControlTransformers())` — the limiter, then auto-retry around it.
 */
export function flowControlTransformers(options: FlowControlOptions = {}): Transformer[] {
  return [
    messageRateLimiter(options),
    autoRetry({
      maxDelaySeconds: options.maxRetryDelaySeconds ?? 60,
      maxRetryAttempts: options.maxRetryAttempts ?? 3,
      rethrowHttpErrors: true,
    }),
  ];
}
