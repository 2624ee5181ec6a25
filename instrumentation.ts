/**
 * Next.js instrumentation hook: runs once when a server process starts. In the Node.js runtime,
 * unless KADR_ENGINE=inngest (a real Inngest server drives the functions then), it starts the
 * embedded Inngest executor in this process — once, even when the hook runs again (dev reloads) —
 * and makes sure the local owner exists (single-owner mode until Telegram auth lands). Node-only
 * modules are imported dynamically inside the runtime check, so the edge bundle never sees them.
 * A failure is logged, not thrown: the dashboard still serves, and job creation reports the error.
 */
const startedKey = Symbol.for("kadr.embeddedEngineStarted");
type StartedGlobal = typeof globalThis & { [startedKey]?: boolean };

/** Called by Next.js before the server handles requests. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.KADR_ENGINE === "inngest") return;
  const g = globalThis as StartedGlobal;
  if (g[startedKey]) return;
  g[startedKey] = true;
  try {
    const { getRuntime } = await import("@/lib/runtime");
    const { startEmbeddedEngine } = await import("@/inngest/embedded/start");
    const { getLocalOwnerId } = await import("@/lib/http/route-env");
    const { dbHandle } = await getRuntime();
    await getLocalOwnerId();
    await startEmbeddedEngine({
      db: dbHandle.db,
      log: (message, data) => console.log(`[engine] ${message}`, data ?? ""),
    });
  } catch (err) {
    g[startedKey] = false;
    console.error("Could not start the embedded Inngest executor:", err);
  }
}
