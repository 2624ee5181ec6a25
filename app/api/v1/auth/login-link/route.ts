/**
 * `POST /api/v1/auth/login-link` (public) — the [Continue] form of the sign-in page (`/login`),
 * `application/x-www-form-urlencoded` (or multipart) with `token`: redeems the one-time token the
 * bot sent on /login (lib/auth/login-links.ts) and answers 303 `Location: /` with the session
 * cookie. A token that is unknown, used or expired answers 303 back to `/login?token=…`, which
 * says which it was in the user's language. 422 without a `token` field, 403 for a cross-site
 * post (login CSRF), 429 over the per-IP write limit.
 *
 * The page's GET never redeems: link-preview fetchers and prefetching browsers may load it, only a
 * person's click on [Continue] posts here.
 */
import { z } from "zod";
import { assertNotCrossSite } from "@/lib/auth/authenticate";
import { LOGIN_PATH, redeemLoginToken } from "@/lib/auth/login-links";
import { issueSession } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { withPublicRoute, withSession } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const LoginLinkForm = z.object({
  token: z.string({ error: "Send the sign-in link's token as the form field `token`" }).max(256),
});

/** A 303 to a path of this site (relative, so it holds behind a proxy). */
const seeOther = (location: string) => new Response(null, { status: 303, headers: { Location: location } });

/** Redeems the token and signs the browser in. */
export const POST = withPublicRoute(async ({ request, deps, auth }) => {
  assertNotCrossSite(request);
  const form = await request.formData().catch(() => {
    throw new AppError("bad_input", "Send the sign-in form as application/x-www-form-urlencoded");
  });
  const { token } = LoginLinkForm.parse(Object.fromEntries(form));
  let userId: string;
  try {
    userId = await redeemLoginToken(deps.db, token);
  } catch (err) {
    if (!(err instanceof AppError && err.status === 401)) throw err;
    return seeOther(`${LOGIN_PATH}?token=${encodeURIComponent(token)}`);
  }
  const { sessionSecret, sessionTtlSeconds } = auth.config;
  return withSession(seeOther("/"), issueSession(userId, sessionSecret, sessionTtlSeconds), request);
});
