/**
 * The env API routes run against in this process: the runtime's database, events sent through the
 * Inngest client (routed to the embedded executor by default), and the local single owner — the
 * mode until Telegram auth exists. The owner lookup is memoized per process, so concurrent first
 * requests never create two owners.
 */
import { inngest } from "@/inngest/client";
import { getRuntime } from "@/lib/runtime";
import { ensureLocalOwner } from "@/lib/studio/jobs";
import type { RouteEnv } from "./route";

const ownerKey = Symbol.for("kadr.localOwnerId");
type OwnerGlobal = typeof globalThis & { [ownerKey]?: Promise<string> };

/**
 * The local owner's user id, created on first use and cached for the life of the process (shared
 * across Next.js bundles through `globalThis`). A failed lookup is not cached.
 */
export async function getLocalOwnerId(): Promise<string> {
  const g = globalThis as OwnerGlobal;
  g[ownerKey] ??= getRuntime()
    .then((rt) => ensureLocalOwner(rt.dbHandle.db))
    .catch((err) => {
      g[ownerKey] = undefined;
      throw err;
    });
  return g[ownerKey];
}

/** Resolves the env of one request: `{ deps: { db, sendEvent }, ownerId }`. */
export async function getRouteEnv(): Promise<RouteEnv> {
  const rt = await getRuntime();
  const ownerId = await getLocalOwnerId();
  return { deps: { db: rt.dbHandle.db, sendEvent: (event) => inngest.send(event) }, ownerId };
}
