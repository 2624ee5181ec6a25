/**
 * `GET|HEAD /api/media/<storageKey>` serves a stored blob with Range support (see lib/http/serve-file).
 * Keys are content-addressed, so answers are cached as immutable. Malformed or unknown keys → 404.
 */
import { AppError } from "@/lib/errors";
import { withRoute } from "@/lib/http/route";
import { serveFile } from "@/lib/http/serve-file";
import { getRuntime } from "@/lib/runtime";
import { isValidBlobKey } from "@/lib/storage";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const IMMUTABLE = "public, max-age=31536000, immutable";

/** Streams the blob, whole or one byte range. */
export const GET = withRoute<{ key: string[] }>(async ({ request, params }) => {
  const key = params.key.join("/");
  if (!isValidBlobKey(key)) throw new AppError("not_found", "No such media");
  const { store } = await getRuntime();
  return serveFile(request, store.pathOf(key), { cacheControl: IMMUTABLE });
});

/** The same headers as GET, without the body. */
export const HEAD = GET;
