/**
 * Who is calling. Every `/api/v1` route (and the media route) runs `authenticate` before anything
 * else; the first credential present decides:
 *
 * 1. `Authorization: tma <initData>` — Mini App launch data, validated against the bot token and
 *    the maximum initData age; the Telegram user is upserted and a fresh session is issued with
 *    the response, so a long editing session outlives the initData;
 * 2. `Authorization: Bearer <session token>` — a session issued earlier;
 * 3. the `kadr_session` cookie — the same token, set by the sign-in routes;
 * 4. no credentials, no TELEGRAM_BOT_TOKEN and a loopback request (see ./loopback.ts) — the single
 *    local owner.
 *
 * An explicit credential that fails (bad hash, expired, forged) is a 401 even in local mode; a
 * stale cookie alone falls through to local mode. Sessions past half their lifetime are renewed.
 */
import type { Db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { upsertTelegramUser } from "@/lib/studio/users";
import type { AuthConfig } from "./config";
import { isLoopbackRequest } from "./loopback";
import { type IssuedSession, issueSession, readCookie, SESSION_COOKIE, verifySession } from "./session";
import { verifyInitData } from "./telegram";

/** How the caller proved who they are. */
export type AuthMethod = "tma" | "session" | "local";

/** The authenticated caller. */
export interface Principal {
  userId: string;
  method: AuthMethod;
  /** A new or renewed session to hand back with the response (cookie and `X-Kadr-Session`). */
  issuedSession?: IssuedSession;
  /** The Mini App deep link's `startapp` value (method "tma" only). */
  startParam?: string;
}

/** What authentication needs: the database (user upserts), the config and the local owner. */
export interface AuthContext {
  db: Db;
  config: AuthConfig;
  /** Id of the local single owner, created on first use (local mode only). */
  localOwnerId: () => Promise<string>;
  /** Unix seconds; defaults to the clock. */
  now?: () => number;
}

/**
 * Authenticates a request by the rules in the module comment.
 * @throws AppError("unauthorized") with a message saying what is missing or wrong.
 */
export async function authenticate(request: Request, auth: AuthContext): Promise<Principal> {
  const now = auth.now?.() ?? Math.floor(Date.now() / 1000);
  const header = request.headers.get("authorization")?.trim();
  if (header) {
    const space = header.indexOf(" ");
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? "" : header.slice(space + 1).trim();
    if (scheme === "tma") return fromInitData(value, auth, now);
    if (scheme === "bearer") {
      const principal = fromSession(value, auth, now);
      if (!principal) throw new AppError("unauthorized", "The session has expired: sign in again");
      return principal;
    }
    throw new AppError("unauthorized", `Unsupported authorization scheme "${scheme}": use tma or Bearer`);
  }
  const cookie = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
  const fromCookie = cookie ? fromSession(cookie, auth, now) : null;
  if (fromCookie) return fromCookie;
  if (!auth.config.botToken) {
    if (isLoopbackRequest(request)) return { userId: await auth.localOwnerId(), method: "local" };
    throw new AppError(
      "unauthorized",
      "Local mode serves only this machine (loopback); configure TELEGRAM_BOT_TOKEN to sign in from elsewhere",
    );
  }
  throw new AppError("unauthorized", "Sign in with Telegram first");
}

async function fromInitData(raw: string, auth: AuthContext, now: number): Promise<Principal> {
  const { botToken, initDataMaxAgeSeconds, sessionSecret, sessionTtlSeconds } = auth.config;
  if (!botToken) throw new AppError("unauthorized", "Telegram sign-in is not configured on this server");
  if (!raw) throw new AppError("unauthorized", "The tma authorization carries no init data");
  const launch = verifyInitData(raw, botToken, initDataMaxAgeSeconds);
  const user = await upsertTelegramUser(auth.db, launch.user);
  return {
    userId: user.id,
    method: "tma",
    issuedSession: issueSession(user.id, sessionSecret, sessionTtlSeconds, now),
    startParam: launch.startParam,
  };
}

function fromSession(token: string, auth: AuthContext, now: number): Principal | null {
  const { sessionSecret, sessionTtlSeconds } = auth.config;
  const claims = verifySession(token, sessionSecret, now);
  if (!claims) return null;
  const renew = claims.expiresAt - now < sessionTtlSeconds / 2;
  return {
    userId: claims.userId,
    method: "session",
    ...(renew ? { issuedSession: issueSession(claims.userId, sessionSecret, sessionTtlSeconds, now) } : {}),
  };
}

/**
 * Refuses cross-site state changes made with ambient credentials (the session cookie or local
 * mode): a non-GET request whose `Sec-Fetch-Site` is `cross-site`, or whose `Origin` host differs
 * from its `Host`. Bearer and tma credentials are never sent by a browser on its own, so they skip
 * the check.
 * @throws AppError("forbidden").
 */
export function assertSameOrigin(request: Request, principal: Principal): void {
  if (request.method === "GET" || request.method === "HEAD") return;
  if (principal.method === "tma" || request.headers.get("authorization")) return;
  assertNotCrossSite(request);
}

/**
 * Refuses a request whose `Sec-Fetch-Site` is `cross-site`, or whose `Origin` host differs from its
 * `Host` (a request without `Origin` passes: browsers send it on every cross-origin POST). Sign-in
 * forms use it against login CSRF, where a foreign page signs the victim in as the attacker.
 * @throws AppError("forbidden").
 */
export function assertNotCrossSite(request: Request): void {
  if (request.headers.get("sec-fetch-site") === "cross-site") {
    throw new AppError("forbidden", "Cross-site requests are not allowed");
  }
  const origin = request.headers.get("origin");
  if (!origin) return;
  const host = request.headers.get("host") ?? new URL(request.url).host;
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    // "null" (sandboxed or opaque origins) and garbage: not this site
  }
  if (originHost !== host) throw new AppError("forbidden", "Cross-site requests are not allowed");
}
