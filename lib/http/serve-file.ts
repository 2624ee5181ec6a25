/**
 * Serves a local file as an HTTP response with byte-range support, so browsers can seek in video
 * and audio: `Accept-Ranges: bytes` always, 206 + `Content-Range` for a satisfiable `Range`, 416 +
 * `Content-Range: bytes *\/size` for an unsatisfiable one, 200 with the whole file otherwise. The
 * body is streamed from disk, never buffered.
 */
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { AppError } from "@/lib/errors";
import { parseRange } from "@/lib/storage/range";

/** Content types of the media Kadr stores, by lower-case file extension (without the dot). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  mp4: "video/mp4",
  wav: "audio/wav",
  m4a: "audio/mp4",
  vtt: "text/vtt; charset=utf-8",
};

/** The content type for a file name by its extension; `application/octet-stream` when unknown. */
export function contentTypeOf(fileName: string): string {
  const ext = path.extname(fileName).slice(1).toLowerCase();
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

export interface ServeFileOptions {
  /** Defaults to `contentTypeOf(filePath)`. */
  contentType?: string;
  /** `Cache-Control` of 200 and 206 answers; omitted when absent (never sent with a 416). */
  cacheControl?: string;
}

/**
 * Answers `request` (GET or HEAD) with the file at `filePath`, honouring a single `Range`.
 * @throws AppError("not_found") when the file does not exist or is not a regular file.
 */
export async function serveFile(
  request: Request,
  filePath: string,
  options: ServeFileOptions = {},
): Promise<Response> {
  const stat = await fs.promises.stat(filePath).catch(() => null);
  if (!stat?.isFile()) throw new AppError("not_found", "No such media");
  const size = stat.size;
  const headers = new Headers({
    "Content-Type": options.contentType ?? contentTypeOf(filePath),
    "Accept-Ranges": "bytes",
    "Last-Modified": stat.mtime.toUTCString(),
  });

  const range = parseRange(request.headers.get("range"), size);
  if (range === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${size}`);
    headers.set("Content-Length", "0");
    return new Response(null, { status: 416, headers });
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  headers.set("Content-Length", String(length));
  if (range) headers.set("Content-Range", `bytes ${start}-${end}/${size}`);
  const status = range ? 206 : 200;
  if (options.cacheControl) headers.set("Cache-Control", options.cacheControl);
  if (request.method === "HEAD" || length === 0) return new Response(null, { status, headers });
  const stream = Readable.toWeb(fs.createReadStream(filePath, { start, end })) as ReadableStream<Uint8Array>;
  return new Response(stream, { status, headers });
}
