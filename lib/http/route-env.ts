/**
 * The env API routes run against in this process: the runtime's database and blob store, events
 * sent through the Inngest client (routed to the embedded executor by default), and the auth
 * context (config from the environment, the local single owner for local mode). The owner lookup
 * is memoized per process, so concurrent first requests never create two owners.
 */
import { inngest } from "@/inngest/client";
import { loadAuthConfig } from "@/lib/auth/config";
import { loadEnv } from "@/lib/env";
import { TokenBucketLimiter } from "@/lib/limits/ip-limiter";
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

const limiterKey = Symbol.for("kadr.writeLimiter");
type LimiterGlobal = typeof globalThis & { [limiterKey]?: TokenBucketLimiter | null };

/**
 * The process-wide per-IP limiter of state-changing API requests: KADR_API_WRITES_PER_MINUTE
 * tokens per minute with a burst of the same size; undefined when the variable is 0.
 */
function writeLimiter(): TokenBucketLimiter | undefined {
  const g = globalThis as LimiterGlobal;
  if (g[limiterKey] === undefined) {
    const perMinute = loadEnv().KADR_API_WRITES_PER_MINUTE;
    g[limiterKey] = perMinute
      ? new TokenBucketLimiter({ capacity: perMinute, refillPerSecond: perMinute / 60 })
      : null;
  }
  return g[limiterKey] ?? undefined;
}

/** Resolves the env of one request: `{ deps: { db, sendEvent }, store, auth, writeLimiter }`. */
export async function getRouteEnv(): Promise<RouteEnv> {
  const rt = await getRuntime();
  const db = rt.dbHandle.db;
  return {
    deps: { db, sendEvent: (event) => inngest.send(event), policy: rt.policy },
    store: rt.store,
    auth: { db, config: loadAuthConfig(), localOwnerId: getLocalOwnerId },
    writeLimiter: writeLimiter(),
  };
}
