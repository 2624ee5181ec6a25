/**
 * `POST /api/v1/auth/telegram-login` (public) with the Telegram Login Widget's fields
 * `{ id, first_name, last_name?, username?, photo_url?, auth_date, hash }` → 200
 * `{ token, expiresAt, user }` plus the session cookie; 401 for a wrong hash or a stale
 * `auth_date`, or when no bot is configured; 403 for a cross-site post (login CSRF: another site
 * could post widget data of the attacker's own account and sign the visitor in as the attacker).
 */
import { z } from "zod";
import { assertNotCrossSite } from "@/lib/auth/authenticate";
import { issueSession } from "@/lib/auth/session";
import { verifyLoginWidget } from "@/lib/auth/telegram";
import { loadUserJson } from "@/lib/auth/users";
import { AppError } from "@/lib/errors";
import { withPublicRoute, withSession } from "@/lib/http/route";
import { upsertTelegramUser } from "@/lib/studio/users";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const LoginBody = z.record(z.string(), z.union([z.string(), z.number()]), {
  error: "Send the Login Widget's fields as a JSON object",
});

/** Signs the widget's user in. */
export const POST = withPublicRoute(
  async ({ request, deps, auth, body }) => {
    assertNotCrossSite(request);
    const { botToken, loginMaxAgeSeconds, sessionSecret, sessionTtlSeconds } = auth.config;
    if (!botToken) throw new AppError("unauthorized", "Telegram sign-in is not configured on this server");
    const telegramUser = verifyLoginWidget(body, botToken, loginMaxAgeSeconds);
    const { id } = await upsertTelegramUser(deps.db, telegramUser);
    const session = issueSession(id, sessionSecret, sessionTtlSeconds);
    const user = await loadUserJson(deps.db, id);
    const response = Response.json({ token: session.token, expiresAt: session.expiresAt, user });
    return withSession(response, session, request);
  },
  { body: LoginBody },
);
