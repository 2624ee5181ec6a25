/**
 * `GET /api/v1/auth/config` (public) → `{ mode: "telegram" | "local", botUsername: string | null }`:
 * how to sign in here — with Telegram (Login Widget of `botUsername` in the browser, initData in
 * the Mini App), or nothing at all on loopback in local single-owner mode.
 */
import { withPublicRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The sign-in mode of this server. */
export const GET = withPublicRoute(async ({ auth }) => {
  return Response.json({
    mode: auth.config.botToken ? "telegram" : "local",
    botUsername: auth.config.botUsername ?? null,
  });
});
