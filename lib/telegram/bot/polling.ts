/**
 * `npm run bot`: the bot under long polling for development (no public URL needed), with the
 * progress notifier and, unless KADR_ENGINE=inngest, the embedded executor in this process — so a
 * topic sent in Telegram runs through the whole pipeline locally. Stops cleanly on SIGINT/SIGTERM.
 * Needs TELEGRAM_BOT_TOKEN (TELEGRAM_API_ROOT points it at another Bot API server); long polling
 * removes a registered webhook (deleteWebhook). The polling itself is long-polling.ts.
 * Exits 2 with one message when the token is missing, or when settings of the selected providers or
 * storage are missing or invalid (lib/startup-check.ts lists every one).
 */
import { inngest } from "@/inngest/client";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { ConfigError, loadEnv } from "@/lib/env";
import { getRuntime } from "@/lib/runtime";
import { assertStartupSettings } from "@/lib/startup-check";
import { loadTelegramSettings } from "../settings";
import { startLongPolling } from "./long-polling";

async function main(): Promise<void> {
  const settings = loadTelegramSettings();
  if (!settings) {
    console.error("TELEGRAM_BOT_TOKEN is not set: the bot is off. Get a token from @BotFather.");
    process.exit(2);
  }
  try {
    loadEnv();
    assertStartupSettings();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const rt = await getRuntime();
  const executor =
    loadEnv().KADR_ENGINE === "embedded" ? await startEmbeddedEngine({ db: rt.dbHandle.db }) : undefined;
  const polling = await startLongPolling({
    settings,
    rt,
    sendEvent: (e) => inngest.send(e),
    onStart: (me) => console.log(`@${me.username} is polling; send it a topic in Telegram.`),
  });
  const stop = async () => {
    await polling.stop();
    await executor?.stop();
    await rt.dbHandle.close();
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  try {
    await polling.done;
  } catch (err) {
    await stop();
    throw err;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
