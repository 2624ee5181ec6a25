/**
 * The webhook request handler (https://core.telegram.org/bots/api#setwebhook): grammY's
 * `webhookCallback(bot, "std/http", { secretToken })` (Fetch Request → Response), hardened so that
 *
 * - the X-Telegram-Bot-Api-Secret-Token header is required: missing or wrong → 401;
 * - a body that is not an update (invalid JSON, or fields the bot reads with the wrong types — see
 *   update-schema.ts) → 400 `{error}` naming the field, never a handler crash (grammY would throw
 *   on it, which a route turns into 500 and Telegram retries);
 * - handler errors are contained by the bot's error boundary, so a valid update gets 200 — except
 *   a `successful_payment` whose credits could not be booked: the returned promise rejects (the
 *   route answers 500) and Telegram delivers the update again; crediting is idempotent on the
 *   charge id (create-bot.ts, payments.ts);
 * - a handler still running after 10 s (replies queued behind the chat's rate limit) gets 200 and
 *   finishes in the background (`onTimeout: "return"`): a 5xx would make Telegram deliver the same
 *   update again and, for a topic, start a second job.
 */
import { timingSafeEqual } from "node:crypto";
import { type Bot, webhookCallback } from "grammy";
import { updateProblem } from "./update-schema";

const SECRET_HEADER = "x-telegram-bot-api-secret-token";

function secretMatches(header: string | null, secret: string): boolean {
  if (header === null) return false;
  const given = Buffer.from(header);
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A `(Request) => Promise<Response>` for `POST /api/telegram/webhook`.
 * @param secretToken the value given to setWebhook as `secret_token` (1–256 chars of [A-Za-z0-9_-]).
 */
export function createWebhookHandler(bot: Bot, secretToken: string): (req: Request) => Promise<Response> {
  const callback = webhookCallback(bot, "std/http", { secretToken, onTimeout: "return" });
  return async (req) => {
    if (!secretMatches(req.headers.get(SECRET_HEADER), secretToken)) {
      return new Response('"unauthorized"', { status: 401 });
    }
    const body = await req.text();
    let update: unknown;
    try {
      update = JSON.parse(body);
    } catch {
      update = undefined;
    }
    const problem = update === undefined ? "the body is not JSON" : updateProblem(update);
    if (problem) return Response.json({ error: `Not a Telegram update: ${problem}` }, { status: 400 });
    return callback(new Request(req.url, { method: "POST", headers: req.headers, body }));
  };
}
