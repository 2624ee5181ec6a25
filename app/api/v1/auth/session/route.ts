/**
 * `POST /api/v1/auth/session` — exchanges any accepted credential (usually the Mini App's
 * `Authorization: tma <initData>`) for a Kadr session: 200 `{ token, expiresAt, user }` (expiresAt
 * in Unix seconds) plus the session cookie; 401 when the credential is bad or expired; 403 in local
 * mode, whose owner exists only on loopback and must not get a token usable from elsewhere.
 * `DELETE /api/v1/auth/session` (public) — signs out: clears the session cookie, 204.
 */
import { clearedSessionCookie, issueSession } from "@/lib/auth/session";
import { loadUserJson } from "@/lib/auth/users";
import { AppError } from "@/lib/errors";
import { isSecureRequest, withPublicRoute, withRoute, withSession } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Issues a session for the authenticated caller. */
export const POST = withRoute(async ({ request, deps, auth, ownerId, principal }) => {
  if (principal.method === "local") throw new AppError("forbidden", "Local mode needs no session");
  const { sessionSecret, sessionTtlSeconds } = auth.config;
  const session = principal.issuedSession ?? issueSession(ownerId, sessionSecret, sessionTtlSeconds);
  const user = await loadUserJson(deps.db, ownerId);
  const response = Response.json({ token: session.token, expiresAt: session.expiresAt, user });
  return principal.issuedSession ? response : withSession(response, session, request);
});

/** Clears the session cookie. */
export const DELETE = withPublicRoute(async ({ request }) => {
  return new Response(null, {
    status: 204,
    headers: { "Set-Cookie": clearedSessionCookie(isSecureRequest(request)) },
  });
});
