/**
 * Kadr's bot under long polling (https://core.telegram.org/bots/api#getupdates), the way
 * `npm run bot` runs it: the process-wide bot service with its progress notifier, the bot profile
 * (commands, menu button), then grammY's `bot.start()` loop — deleteWebhook, getUpdates with
 * `offset` = last handled update_id + 1 and a long-poll `timeout`, each batch handled in order.
 * Failed updates are logged by the bot's error handler and polling goes on; 401 (bad token) and
 * 409 (a webhook is set, or another process polls) end it.
 */
import type { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Runtime } from "@/lib/runtime";
import type { SendEvent } from "@/lib/studio/jobs";
import { stopTelegramService, telegramService } from "../service";
import type { TelegramSettings } from "../settings";
import { configureBotProfile } from "./create-bot";

export interface LongPollingOptions {
  settings: TelegramSettings;
  rt: Runtime;
  sendEvent: SendEvent;
  /** getUpdates `timeout`: seconds a request waits for updates (default 30, grammY's default). */
  timeoutSeconds?: number;
  /** Called once polling has begun, with the bot's own User. */
  onStart?: (me: UserFromGetMe) => void;
}

export interface LongPolling {
  bot: Bot;
  /** Settles when polling ends: resolves after `stop()`, rejects when polling fails (401, 409). */
  done: Promise<void>;
  /** Stops polling (confirming the handled updates with a last getUpdates) and the notifier. */
  stop(): Promise<void>;
}

/**
 * Starts polling and resolves once the first getUpdates is about to be sent.
 * @throws GrammyError when the bot cannot start (getMe / deleteWebhook refused, e.g. 401).
 */
export async function startLongPolling(options: LongPollingOptions): Promise<LongPolling> {
  const { bot } = telegramService(options.settings, options.rt, options.sendEvent, true);
  await configureBotProfile(bot, options.settings.publicUrl);
  let started!: () => void;
  const onStart = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = bot.start({
    timeout: options.timeoutSeconds,
    onStart: (me) => {
      options.onStart?.(me);
      started();
    },
  });
  try {
    await Promise.race([onStart, done]);
  } catch (err) {
    await stopTelegramService();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (bot.isRunning()) await bot.stop();
      await done.catch(() => undefined);
      await stopTelegramService();
    })();
    return stopping;
  };
  return { bot, done, stop };
}
