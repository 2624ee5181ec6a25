/**
 * `GET|HEAD /api/media/<storageKey>` serves a stored blob with Range support (see
 * lib/http/serve-file) to the owner of a job that uses it (see lib/http/media-access). The caller
 * authenticates like on every API route (session cookie for `<img>` and `<video>`). Keys are
 * content-addressed, so answers are privately cached as immutable. Malformed, unknown and other
 * owners' keys → 404.
 */
import { AppError } from "@/lib/errors";
import { ownsMedia } from "@/lib/http/media-access";
import { withRoute } from "@/lib/http/route";
import { serveFile } from "@/lib/http/serve-file";
import { isValidBlobKey } from "@/lib/storage";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const IMMUTABLE_PRIVATE = "private, max-age=31536000, immutable";

/** Streams the blob, whole or one byte range. */
export const GET = withRoute<{ key: string[] }>(async ({ request, deps, store, ownerId, params }) => {
  const key = params.key.join("/");
  if (!isValidBlobKey(key) || !(await ownsMedia(deps.db, key, ownerId))) {
    throw new AppError("not_found", "No such media");
  }
  return serveFile(request, store.pathOf(key), { cacheControl: IMMUTABLE_PRIVATE });
});

/** The same headers as GET, without the body. */
export const HEAD = GET;
