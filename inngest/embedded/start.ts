/**
 * Starts the embedded executor in this process against Kadr's own functions, served by the same
 * `serve()` the web route exposes (called in-process, over the same HTTP protocol).
 */
import { serve } from "inngest/next";
import type { Db } from "@/lib/db";
import { loadEnv } from "@/lib/env";
import { inngest } from "../client";
import { functions } from "../functions";
import { embeddedSigningKey } from "./bridge";
import { EmbeddedExecutor, toServeHandler } from "./executor";

export interface StartEngineOptions {
  db: Db;
  /** URL the serve() route is reachable at; recorded in function configs. */
  serveUrl?: string;
  log?: (message: string, data?: Record<string, unknown>) => void;
  /** SDK requests in flight at once; default KADR_ENGINE_PARALLELISM. */
  parallelism?: number;
}

/** Creates, syncs and starts the executor; stop it with `executor.stop()`. */
export async function startEmbeddedEngine(options: StartEngineOptions): Promise<EmbeddedExecutor> {
  const env = loadEnv();
  const handler = serve({ client: inngest, functions });
  const executor = new EmbeddedExecutor({
    db: options.db,
    signingKey: embeddedSigningKey(),
    handler: toServeHandler(handler),
    parallelism: options.parallelism ?? env.KADR_ENGINE_PARALLELISM,
    log: options.log,
  });
  await executor.start(options.serveUrl ?? "http://127.0.0.1:3000/api/inngest");
  return executor;
}
