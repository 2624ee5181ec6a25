/**
 * POST /api/telegram/webhook — Telegram delivers bot updates here once the webhook is registered
 * with setWebhook(url, secret_token = TELEGRAM_WEBHOOK_SECRET). The secret header is required
 * (401 otherwise), a body that is not an update gets 400, everything else 200 — except a Telegram
 * Stars payment that could not be credited, which fails with 500 so Telegram redelivers it
 * (lib/telegram/webhook.ts). Without TELEGRAM_BOT_TOKEN or TELEGRAM_WEBHOOK_SECRET the route
 * answers 404: the bot is off. With the embedded engine (a long-lived server process) the first
 * request also starts the progress notifier (lib/telegram/notifier.ts).
 */
import { inngest } from "@/inngest/client";
import { getRuntime } from "@/lib/runtime";
import { telegramService } from "@/lib/telegram/service";
import { loadTelegramSettings } from "@/lib/telegram/settings";
import { createWebhookHandler } from "@/lib/telegram/webhook";

export const runtime = "nodejs";

const handlers = new Map<string, (req: Request) => Promise<Response>>();

/** Handles one webhook request; see the module comment for the answers. */
export async function POST(req: Request): Promise<Response> {
  const settings = loadTelegramSettings();
  if (!settings?.webhookSecret) {
    return Response.json({ error: "The Telegram bot is not configured" }, { status: 404 });
  }
  const key = `${settings.token}\n${settings.webhookSecret}`;
  let handler = handlers.get(key);
  if (!handler) {
    const embedded = (process.env.KADR_ENGINE ?? "embedded") !== "inngest";
    const service = telegramService(settings, await getRuntime(), (e) => inngest.send(e), embedded);
    handler = createWebhookHandler(service.bot, settings.webhookSecret);
    handlers.set(key, handler);
  }
  return handler(req);
}
