/**
 * Next.js instrumentation hook: runs once when a server process starts. In the Node.js runtime it
 * first checks the selected providers' and storage's settings (lib/startup-check.ts) in both engine
 * modes, and throws a ConfigError listing every missing one: Next.js then refuses to start (`next
 * start` exits) rather than serve jobs that would fail at their first provider call. Then it
 * checks the auth configuration (TELEGRAM_BOT_TOKEN, KADR_SESSION_SECRET, …; see lib/auth/config),
 * creates the local owner when no bot token is configured (local single-owner mode), and — unless
 * KADR_ENGINE=inngest (a real Inngest server drives the functions then) — starts the embedded
 * Inngest executor in this process, once, even when the hook runs again (dev reloads), and with a
 * bot token the bot's progress notifier. Node-only
 * modules are imported dynamically inside the runtime check, so the edge bundle never sees them.
 * A failure after that check is logged, not thrown: the app still serves, and the API reports the error.
 */
const startedKey = Symbol.for("kadr.embeddedEngineStarted");
type StartedGlobal = typeof globalThis & { [startedKey]?: boolean };

/**
 * Called by Next.js before the server handles requests.
 * @throws ConfigError naming every missing setting of the selected providers and storage.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const g = globalThis as StartedGlobal;
  if (g[startedKey]) return;
  const { assertStartupSettings } = await import("@/lib/startup-check");
  assertStartupSettings();
  g[startedKey] = true;
  try {
    const { loadAuthConfig } = await import("@/lib/auth/config");
    const { botToken } = loadAuthConfig();
    console.log(botToken ? "[auth] Telegram sign-in" : "[auth] local single-owner mode (loopback only)");
    if (!botToken) {
      const { getLocalOwnerId } = await import("@/lib/http/route-env");
      await getLocalOwnerId();
    }
    if (process.env.KADR_ENGINE === "inngest") return;
    const { getRuntime } = await import("@/lib/runtime");
    const { startEmbeddedEngine } = await import("@/inngest/embedded/start");
    const { dbHandle } = await getRuntime();
    await startEmbeddedEngine({
      db: dbHandle.db,
      log: (message, data) => console.log(`[engine] ${message}`, data ?? ""),
    });
    // The bot's progress notifier polls job_events from this long-lived process.
    const { loadTelegramSettings } = await import("@/lib/telegram/settings");
    const telegram = loadTelegramSettings();
    if (telegram) {
      const { telegramService } = await import("@/lib/telegram/service");
      const { inngest } = await import("@/inngest/client");
      telegramService(telegram, await getRuntime(), (e) => inngest.send(e), true);
    }
  } catch (err) {
    g[startedKey] = false;
    console.error("Could not start Kadr's server runtime:", err);
  }
}
