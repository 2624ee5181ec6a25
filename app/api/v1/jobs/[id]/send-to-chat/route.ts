/**
 * `POST /api/v1/jobs/:id/send-to-chat` (no body) → 200 `{ method: "file_id" | "upload" |
 * "rendition" | "link" }`: the finished video is sent to the caller's private Telegram chat (which
 * then follows the job); again on every call, by the stored file_id after the first upload.
 * 404 for an unknown job or another owner's; 409 `{ code: "conflict" }` when the job is not
 * completed, the bot is off, the caller has no Telegram account (local owner) or Telegram refuses
 * the chat. `GET /api/v1/auth/me` answers `canSendToChat` so clients hide the button instead.
 */
import { withRoute } from "@/lib/http/route";
import { sendVideoToOwnChat } from "@/lib/telegram/send-to-chat";
import { loadTelegramSettings } from "@/lib/telegram/settings";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Sends the video to the caller's chat. */
export const POST = withRoute<{ id: string }>(async ({ deps, store, ownerId, params }) => {
  const sent = await sendVideoToOwnChat(
    { db: deps.db, store, telegram: loadTelegramSettings() },
    params.id,
    ownerId,
  );
  return Response.json(sent);
});
