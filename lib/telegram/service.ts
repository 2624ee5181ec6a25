/**
 * The bot as a process-wide service, built from the environment: the grammY bot with Kadr's
 * handlers and, in a long-lived process, the notifier that keeps chats up to date. Shared through
 * `globalThis`, so every Next.js bundle and dev reload of one process uses one bot and one notifier.
 */
import type { Bot } from "grammy";
import type { Runtime } from "@/lib/runtime";
import type { SendEvent } from "@/lib/studio/jobs";
import { createTelegramApi } from "./api";
import { createBot } from "./bot/create-bot";
import { TelegramNotifier } from "./notifier";
import type { TelegramSettings } from "./settings";

export interface TelegramService {
  bot: Bot;
  settings: TelegramSettings;
  /** Running when `withNotifier` was asked for. */
  notifier: TelegramNotifier | undefined;
}

const serviceKey = Symbol.for("kadr.telegramService");
type ServiceGlobal = typeof globalThis & { [serviceKey]?: TelegramService };

/**
 * The process's bot service for `settings`, created on first call. With `withNotifier` the first
 * call also starts the notifier's poll loop (1 s); stop it with `stopTelegramService()`.
 */
export function telegramService(
  settings: TelegramSettings,
  rt: Runtime,
  sendEvent: SendEvent,
  withNotifier: boolean,
): TelegramService {
  const g = globalThis as ServiceGlobal;
  if (g[serviceKey]?.settings.token === settings.token) return g[serviceKey];
  const db = rt.dbHandle.db;
  const bot = createBot({
    token: settings.token,
    apiRoot: settings.apiRoot,
    deps: {
      db,
      sendEvent,
      publicUrl: settings.publicUrl,
      loginLinkTtlSeconds: settings.loginLinkTtlSeconds,
      policy: rt.policy,
      store: rt.store,
      workDir: rt.workDir,
    },
  });
  const notifier = withNotifier
    ? new TelegramNotifier({
        db,
        api: createTelegramApi(settings.token, settings.apiRoot),
        store: rt.store,
        publicUrl: settings.publicUrl,
      })
    : undefined;
  notifier?.start();
  g[serviceKey] = { bot, settings, notifier };
  return g[serviceKey];
}

/** Stops the notifier of the process's bot service, if any, and forgets the service. */
export async function stopTelegramService(): Promise<void> {
  const g = globalThis as ServiceGlobal;
  await g[serviceKey]?.notifier?.stop();
  g[serviceKey] = undefined;
}
