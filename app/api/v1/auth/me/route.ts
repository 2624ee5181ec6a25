/**
 * `GET /api/v1/auth/me` → 200 `{ user: UserJson, method: "tma" | "session" | "local",
 * canSendToChat: boolean }` for the authenticated caller (`canSendToChat`: the bot is configured
 * and the user has Telegram, so POST /api/v1/jobs/:id/send-to-chat can work); 401 `{ code,
 * message }` otherwise (see GET /api/v1/auth/config).
 */
import { loadUserJson } from "@/lib/auth/users";
import { withRoute } from "@/lib/http/route";
import { canSendToChat } from "@/lib/telegram/send-to-chat";
import { loadTelegramSettings } from "@/lib/telegram/settings";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Who the caller is. */
export const GET = withRoute(async ({ deps, ownerId, principal }) => {
  const user = await loadUserJson(deps.db, ownerId);
  return Response.json({
    user,
    method: principal.method,
    canSendToChat: canSendToChat(loadTelegramSettings(), user.telegramId),
  });
});
