/**
 * `npm run bot`: the bot under long polling for development (no public URL needed), with the
 * progress notifier and, unless KADR_ENGINE=inngest, the embedded executor in this process — so a
 * topic sent in Telegram runs through the whole pipeline locally. Stops cleanly on SIGINT/SIGTERM.
 * Needs TELEGRAM_BOT_TOKEN; long polling removes a registered webhook (deleteWebhook).
 */
import { inngest } from "@/inngest/client";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { loadEnv } from "@/lib/env";
import { getRuntime } from "@/lib/runtime";
import { stopTelegramService, telegramService } from "../service";
import { loadTelegramSettings } from "../settings";
import { configureBotProfile } from "./create-bot";

async function main(): Promise<void> {
  const settings = loadTelegramSettings();
  if (!settings) {
    console.error("TELEGRAM_BOT_TOKEN is not set: the bot is off. Get a token from @BotFather.");
    process.exit(2);
  }
  const rt = await getRuntime();
  const executor =
    loadEnv().KADR_ENGINE === "embedded" ? await startEmbeddedEngine({ db: rt.dbHandle.db }) : undefined;
  const { bot } = telegramService(settings, rt, (e) => inngest.send(e), true);
  await configureBotProfile(bot, settings.publicUrl);
  const stop = async () => {
    await bot.stop();
    await stopTelegramService();
    await executor?.stop();
    await rt.dbHandle.close();
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  await bot.start({
    onStart: (me) => console.log(`@${me.username} is polling; send it a topic in Telegram.`),
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
