/**
 * The Bot API client used outside update handling (delivery, progress notifications): a grammY
 * `Api` (https://grammy.dev/guide/api) pointed at TELEGRAM_API_ROOT with Kadr's flow control. One
 * set of flow-control transformers exists per bot token and process, shared by the bot and these
 * clients, so every message to a chat passes the same per-chat and global limiter.
 */
import { Api, type Transformer } from "grammy";
import { type FlowControlOptions, flowControlTransformers } from "./flow-control";

const sharedKey = Symbol.for("kadr.telegramFlowControl");
type SharedGlobal = typeof globalThis & { [sharedKey]?: Map<string, Transformer[]> };

/**
 * The flow-control transformers of `token` in this process, created on first use with `options`
 * (later options are ignored). Install with `api.config.use(...transformers)`.
 */
export function sharedFlowControl(token: string, options: FlowControlOptions = {}): Transformer[] {
  const g = globalThis as SharedGlobal;
  g[sharedKey] ??= new Map();
  let transformers = g[sharedKey].get(token);
  if (!transformers) {
    transformers = flowControlTransformers(options);
    g[sharedKey].set(token, transformers);
  }
  return transformers;
}

/**
 * A Bot API client for `token` at `apiRoot` (no trailing slash; default https://api.telegram.org)
 * with the shared flow control installed.
 */
export function createTelegramApi(token: string, apiRoot?: string, flowControl?: FlowControlOptions): Api {
  const api = new Api(token, apiRoot ? { apiRoot } : undefined);
  api.config.use(...sharedFlowControl(token, flowControl));
  return api;
}

/** True for the Bot API's "message is not modified" answer to an edit that changes nothing. */
export function isNotModifiedError(err: unknown): boolean {
  return err instanceof Error && /message is not modified/i.test(err.message);
}
