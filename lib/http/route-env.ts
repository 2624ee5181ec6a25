/**
 * The env API routes run against in this process: the runtime's database and blob store, events
 * sent through the Inngest client (routed to the embedded executor by default), and the auth
 * context (config from the environment, the local single owner for local mode). The owner lookup
 * is memoized per process, so concurrent first requests never create two owners.
 */
import { inngest } from "@/inngest/client";
import { loadAuthConfig } from "@/lib/auth/config";
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

/** Resolves the env of one request: `{ deps: { db, sendEvent }, store, auth }`. */
export async function getRouteEnv(): Promise<RouteEnv> {
  const rt = await getRuntime();
  const db = rt.dbHandle.db;
  return {
    deps: { db, sendEvent: (event) => inngest.send(event) },
    store: rt.store,
    auth: { db, config: loadAuthConfig(), localOwnerId: getLocalOwnerId },
  };
}
