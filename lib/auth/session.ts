/**
 * Kadr's own sessions: stateless tokens `<payload>.<mac>` where payload is base64url JSON
 * `{ sub: userId, iat, exp }` (Unix seconds) and mac is base64url HMAC-SHA256(payload, secret).
 * No table: a token is valid while its MAC checks and `exp` is in the future. The same token
 * travels as the `kadr_session` cookie (HttpOnly, SameSite=Lax; Secure on https) or as
 * `Authorization: Bearer <token>`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Name of the session cookie. */
export const SESSION_COOKIE = "kadr_session";

/** A freshly issued session. */
export interface IssuedSession {
  token: string;
  userId: string;
  /** Unix seconds. */
  expiresAt: number;
}

/** A verified session token's content. */
export interface SessionClaims {
  userId: string;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds. */
  expiresAt: number;
}

function mac(payload: string, secret: Buffer): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}

/**
 * Issues a session for `userId` valid for `ttlSeconds` from `now`.
 * @param now Unix seconds (defaults to the clock).
 */
export function issueSession(
  userId: string,
  secret: Buffer,
  ttlSeconds: number,
  now = Math.floor(Date.now() / 1000),
): IssuedSession {
  const expiresAt = now + ttlSeconds;
  const payload = Buffer.from(JSON.stringify({ sub: userId, iat: now, exp: expiresAt })).toString(
    "base64url",
  );
  return { token: `${payload}.${mac(payload, secret)}`, userId, expiresAt };
}

/**
 * Checks a token's MAC (constant time) and expiry.
 * @param now Unix seconds (defaults to the clock).
 * @returns the claims, or null for malformed, forged or expired tokens.
 */
export function verifySession(
  token: string,
  secret: Buffer,
  now = Math.floor(Date.now() / 1000),
): SessionClaims | null {
  const [payload, signature, extra] = token.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const { sub, iat, exp } = (claims ?? {}) as { sub?: unknown; iat?: unknown; exp?: unknown };
  if (typeof sub !== "string" || typeof iat !== "number" || typeof exp !== "number") return null;
  if (exp <= now) return null;
  return { userId: sub, issuedAt: iat, expiresAt: exp };
}

/**
 * The `Set-Cookie` value carrying a session (HttpOnly, SameSite=Lax, Path=/, Max-Age until expiry;
 * `Secure` when the app is served over https).
 */
export function sessionCookie(session: IssuedSession, secure: boolean, now = Math.floor(Date.now() / 1000)) {
  const maxAge = Math.max(0, session.expiresAt - now);
  return [
    `${SESSION_COOKIE}=${session.token}`,
    "Path=/",
    `Max-Age=${maxAge}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return [
    `${SESSION_COOKIE}=`,
    "Path=/",
    "Max-Age=0",
    "HttpOnly",
    "SameSite=Lax",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

/** The value of cookie `name` in a `Cookie` request header, or undefined. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
