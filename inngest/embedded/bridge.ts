/**
 * The seam between the Inngest client and the embedded executor. The client is created at module
 * load, before any executor exists, so its `fetch` points here and is routed to whichever executor
 * is installed in this process (`installEmbeddedExecutor`). Three SDK → server calls are served:
 * `POST /fn/register` (sync of function configs), `POST /e/<event key>` (`inngest.send()`) and
 * `POST /v1/checkpoint/<run id>/async` (async checkpointing: the SDK reports each step it ran
 * inside one request, then runs the next; see `EmbeddedExecutor.checkpoint`).
 */
import { randomBytes } from "node:crypto";
import type { ClientOptions } from "inngest";

/** Origin the client believes the Inngest server lives at; never resolved on a network. */
export const EMBEDDED_ORIGIN = "http://kadr-embedded.invalid";

/** What an executor must answer for the client; implemented by EmbeddedExecutor. */
export interface EmbeddedApi {
  /** Receives a sync payload (`{ url, appName, functions: [...] }`). */
  register(body: RegisterPayload): Promise<void>;
  /** Receives events; returns their ids in order. */
  ingest(events: Record<string, unknown>[]): Promise<string[]>;
  /**
   * Receives an async checkpoint of steps a running request executed; answers with its HTTP status.
   * Optional: without it, checkpoints get a 404 and the SDK returns its steps in its response.
   */
  checkpoint?(
    runId: string,
    payload: CheckpointPayload,
    authorization: string | null,
  ): Promise<{ status: number; body: unknown }>;
}

/**
 * Body of `POST /v1/checkpoint/<run id>/async`, as the SDK's `InngestApi.checkpointStepsAsync`
 * sends it (node_modules/inngest/api/api.js): the ops are the steps run since the last checkpoint,
 * each `{ id: <hashed id>, op: "StepRun", name, displayName, data }`.
 */
export interface CheckpointPayload {
  run_id?: string;
  fn_id?: string;
  /** The `ctx.qi_id` of the request that ran the steps (the executor's dispatch token). */
  qi_id?: string;
  steps?: Record<string, unknown>[];
}

export interface RegisterPayload {
  url: string;
  appName: string;
  functions: Record<string, unknown>[];
}

const globalKey = Symbol.for("kadr.embeddedExecutor");
const signingKeyGlobal = Symbol.for("kadr.embeddedSigningKey");
type BridgeGlobal = typeof globalThis & { [globalKey]?: EmbeddedApi; [signingKeyGlobal]?: string };

/** Per-process signing key shared by serve() (which verifies) and the executor (which signs). */
export function embeddedSigningKey(): string {
  const g = globalThis as BridgeGlobal;
  g[signingKeyGlobal] ??=
    process.env.INNGEST_SIGNING_KEY || `signkey-embedded-${randomBytes(32).toString("hex")}`;
  return g[signingKeyGlobal];
}

/** The executor installed in this process, if any (the Runs page uses it to cancel and replay). */
export function installedExecutor(): EmbeddedApi | undefined {
  return (globalThis as BridgeGlobal)[globalKey];
}

/** Makes `executor` the target of the client's requests in this process. */
export function installEmbeddedExecutor(executor: EmbeddedApi | undefined): void {
  (globalThis as BridgeGlobal)[globalKey] = executor;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** `fetch` for the Inngest client: answers register and event requests from the installed executor. */
export async function embeddedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  const executor = (globalThis as BridgeGlobal)[globalKey];
  if (!executor) {
    return json(503, { error: "The embedded Inngest executor is not running in this process", status: 503 });
  }
  if (request.method === "POST" && url.pathname === "/fn/register") {
    await executor.register((await request.json()) as RegisterPayload);
    return json(200, { ok: true, modified: true });
  }
  if (request.method === "POST" && url.pathname.startsWith("/e/")) {
    const body = (await request.json()) as Record<string, unknown> | Record<string, unknown>[];
    const ids = await executor.ingest(Array.isArray(body) ? body : [body]);
    return json(200, { ids, status: 200 });
  }
  const checkpoint = /^\/v1\/checkpoint\/([^/]+)\/async$/.exec(url.pathname);
  if (request.method === "POST" && checkpoint && executor.checkpoint) {
    const result = await executor.checkpoint(
      decodeURIComponent(checkpoint[1]!),
      (await request.json()) as CheckpointPayload,
      request.headers.get("authorization"),
    );
    return json(result.status, result.body);
  }
  return json(404, {
    error: `The embedded executor does not serve ${request.method} ${url.pathname}`,
    status: 404,
  });
}

/** Client options that route the SDK to the embedded executor. */
export function embeddedClientOptions(): Partial<ClientOptions> {
  return {
    isDev: false,
    baseUrl: EMBEDDED_ORIGIN,
    eventKey: "embedded",
    signingKey: embeddedSigningKey(),
    fetch: embeddedFetch as typeof fetch,
  };
}
