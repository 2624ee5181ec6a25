/**
 * Request parsing helpers of the route handlers that go beyond a JSON body: route parameters and
 * size-capped multipart uploads.
 */
import { AppError } from "@/lib/errors";

/**
 * A segment index route parameter (0-based, decimal digits only).
 * @throws AppError("bad_input") for anything else.
 */
export function segmentIndexParam(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new AppError("bad_input", `"${value}" is not a segment index`);
  return Number(value);
}

/** Slack for the multipart envelope (boundaries, part headers) on top of the file limit, in bytes. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Reads the body, refusing it as soon as it exceeds `maxBytes` (by `Content-Length` before
 * reading, or while streaming when the length is not declared).
 * @throws AppError("too_large").
 */
export async function readCappedBody(request: Request, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new AppError("too_large", `The upload is larger than ${Math.floor(maxBytes / 1024 / 1024)} MB`);
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The bytes of file field `field` of a `multipart/form-data` request whose file part may have at
 * most `maxFileBytes` (the whole body may be MULTIPART_OVERHEAD_BYTES larger).
 * @throws AppError("too_large") over the limit; AppError("bad_input") for another content type, a
 *   malformed body or a missing field.
 */
export async function readMultipartFile(
  request: Request,
  field: string,
  maxFileBytes: number,
): Promise<Buffer> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) {
    throw new AppError("bad_input", `Send the image as multipart/form-data with a "${field}" file field`);
  }
  const body = await readCappedBody(request, maxFileBytes + MULTIPART_OVERHEAD_BYTES);
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { "content-type": type } }).formData();
  } catch {
    throw new AppError("bad_input", "The multipart body is malformed");
  }
  const file = form.get(field);
  if (!file || typeof file === "string")
    throw new AppError("bad_input", `The "${field}" file field is missing`);
  return Buffer.from(await file.arrayBuffer());
}
