/**
 * `GET /api/v1/auth/me` → 200 `{ user: UserJson, method: "tma" | "session" | "local" }` for the
 * authenticated caller; 401 `{ code, message }` otherwise (see GET /api/v1/auth/config).
 */
import { loadUserJson } from "@/lib/auth/users";
import { withRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Who the caller is. */
export const GET = withRoute(async ({ deps, ownerId, principal }) => {
  return Response.json({ user: await loadUserJson(deps.db, ownerId), method: principal.method });
});
