/**
 * Shared by the remote video providers: turning a finished job's clip (a URL or bytes) into a
 * canonical clip with `normalizeClip`, reading the source still, and the blocking
 * submit → check → save loop behind `animateImage` (the durable pipeline calls the three steps
 * itself, sleeping between checks).
 */
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { normalizeClip } from "@/lib/media/normalize";
import { ProviderError, transientFailure } from "../errors";
import type { AnimateImageInput, ClipJobProvider, ClipSource, SaveClipTarget } from "./types";

/** Largest image sent inline as a data URI (Runway's limit, 5 MB of encoded bytes). */
export const MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024;

/** The still to animate, as bytes and MIME type; re-encoded as JPEG when larger than `maxBytes`. */
export async function readStill(
  imagePath: string,
  maxBytes = MAX_INLINE_IMAGE_BYTES,
): Promise<{ bytes: Buffer; mimeType: string }> {
  const bytes = await fs.promises.readFile(imagePath);
  const format = (await sharp(bytes).metadata()).format;
  if (bytes.length <= maxBytes && (format === "png" || format === "jpeg" || format === "webp")) {
    return { bytes, mimeType: `image/${format}` };
  }
  return { bytes: await sharp(bytes).jpeg({ quality: 90 }).toBuffer(), mimeType: "image/jpeg" };
}

/** A `data:<mime>;base64,…` URI of the still (see `readStill`). */
export async function stillDataUri(imagePath: string): Promise<string> {
  const { bytes, mimeType } = await readStill(imagePath);
  return `data:${mimeType};base64,${bytes.toString("base64")}`;
}

/**
 * Writes a finished clip to `target.outPath` in the canonical profile: the bytes (or the download
 * of `url`, with `headers` such as an API key) go to a temp file beside `outPath`, then
 * `normalizeClip` cuts or extends them to exactly `target.seconds`.
 *
 * @param provider human name for error messages.
 * @throws ProviderError retriable when the download fails (output URLs expire; checking the job
 *   again gives a fresh one); MediaError when the clip cannot be decoded.
 */
export async function saveClipSource(
  provider: string,
  source: ClipSource,
  target: SaveClipTarget,
  headers?: Record<string, string>,
): Promise<void> {
  let bytes: Buffer;
  if ("bytes" in source) bytes = source.bytes;
  else {
    let response: Response;
    try {
      response = await fetch(source.url, { headers });
    } catch (err) {
      throw transientFailure(
        provider,
        `clip download failed: ${err instanceof Error ? err.message : String(err)}`,
        err,
      );
    }
    if (!response.ok) throw transientFailure(provider, `clip download failed (HTTP ${response.status})`);
    bytes = Buffer.from(await response.arrayBuffer());
  }
  await fs.promises.mkdir(path.dirname(target.outPath), { recursive: true });
  const tmp = `${target.outPath}.${process.pid}.${Date.now()}.source`;
  try {
    await fs.promises.writeFile(tmp, bytes);
    await normalizeClip({
      inputPath: tmp,
      outPath: target.outPath,
      seconds: target.seconds,
      profile: target.profile,
    });
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

/** Pacing of `animateByPolling`. */
export interface PollingOptions {
  /** Wait between checks, in ms. */
  intervalMs: number;
  /** Give up after this long, in ms (default 20 minutes). */
  timeoutMs?: number;
}

/**
 * `animateImage` for a `ClipJobProvider`: submit, check every `intervalMs` until done, save.
 * Blocks for the whole render — the durable pipeline should use submit/check/saveClip instead.
 *
 * @throws the job's ProviderError when it fails; ProviderError retriable on timeout.
 */
export async function animateByPolling(
  provider: Pick<ClipJobProvider, "submit" | "check" | "saveClip">,
  input: AnimateImageInput,
  options: PollingOptions,
  label: string,
): Promise<void> {
  const { outPath, ...request } = input;
  const id = await provider.submit(request);
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60 * 1000);
  for (;;) {
    const state = await provider.check(id);
    if (state.state === "done") {
      await provider.saveClip(state.source, { outPath, seconds: input.seconds, profile: input.profile });
      return;
    }
    if (state.state === "failed") throw state.error;
    if (Date.now() >= deadline) {
      throw new ProviderError({
        kind: "retriable",
        provider: label,
        reason: `clip job ${id} still running after the timeout`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}

/** @throws RangeError unless `seconds` is a finite number > 0 (the VideoProvider contract). */
export function validateClipSeconds(seconds: number): void {
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`seconds must be a finite number > 0, got ${seconds}`);
  }
}
