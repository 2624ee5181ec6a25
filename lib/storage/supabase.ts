/**
 * A BlobStore on Supabase Storage (`@supabase/supabase-js`, storage-js StorageFileApi:
 * https://supabase.com/docs/reference/javascript/storage-from-upload). Keys are the same
 * content-addressed keys as the local store (`<kind>/<sha[0:2]>/<sha256>.<ext>`), used as object
 * paths in one bucket; uploads use `upsert: true`, so a retried step simply rewrites identical bytes.
 * Objects over 6 MB go through TUS resumable uploads (supabase-js has no helper; plain fetch).
 *
 * ffmpeg needs local files, so every blob is also kept in a local cache (`cacheDir`, under the
 * data dir): `put*` writes the cache first (temp file + rename, as the local store), `pathOf` names
 * the cached file, and `localPath` downloads a blob another instance stored before returning it.
 * The SDK is imported on first use, so the local store never loads it.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import { classifyHttpFailure, type ProviderError, transientFailure } from "@/lib/providers/errors";
import { type BlobStore, isValidBlobKey, type StoredBlob } from "./index";

/** Human name used in messages. */
const LABEL = "Supabase Storage";
const KEY_SETTING = "SUPABASE_SERVICE_ROLE_KEY";

/** Content types by key extension (anything else: application/octet-stream). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  mp4: "video/mp4",
  m4a: "audio/mp4",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  vtt: "text/vtt",
  json: "application/json",
};

/** Options of `SupabaseBlobStore`. */
export interface SupabaseStoreOptions {
  /** SUPABASE_URL, e.g. "https://<ref>.supabase.co". */
  url: string;
  /** SUPABASE_SERVICE_ROLE_KEY (server-side only: bypasses row-level security). */
  serviceRoleKey: string;
  /** Bucket holding every blob (must exist). */
  bucket: string;
  /** True when the bucket is public: `urlOf` then returns permanent public URLs instead of signed ones. */
  publicBucket: boolean;
  /** Local cache directory for `pathOf` / `localPath`. */
  cacheDir: string;
}

/** Validity of signed URLs when the caller gives none, in seconds (1 hour). */
export const DEFAULT_SIGNED_URL_SECONDS = 3600;

/**
 * Maps a storage-js error: the Storage server answers HTTP 400 for most errors with the logical
 * status in `statusCode` (supabase/storage src/internal/errors), so that one decides: 401/403 or
 * "InvalidJWT" → auth (SUPABASE_SERVICE_ROLE_KEY), 5xx → retriable, other → invalid with the
 * server's message; unknown (network) errors → retriable.
 */
/** storage-js `StorageApiError` (recognised by name: the SDK is loaded lazily). */
interface StorageApiErrorLike extends Error {
  status: number;
  statusCode: string;
}

function isStorageApiError(err: unknown): err is StorageApiErrorLike {
  return err instanceof Error && err.name === "StorageApiError";
}

function fromStorageError(err: unknown): ProviderError {
  if (isStorageApiError(err)) {
    const logical = Number(err.statusCode);
    const jwt = err.statusCode === "InvalidJWT" || /jwt|signature/i.test(err.message);
    const status = Number.isInteger(logical) && logical >= 400 ? logical : jwt ? 401 : err.status;
    return classifyHttpFailure({
      provider: LABEL,
      setting: KEY_SETTING,
      status,
      reason: err.message,
      code: err.message,
      cause: err,
    });
  }
  return transientFailure(LABEL, err instanceof Error ? err.message : String(err), err);
}

/** A BlobStore on one Supabase Storage bucket with a local read cache (see the module comment). */
export class SupabaseBlobStore implements BlobStore {
  private client: Promise<SupabaseClient> | undefined;

  constructor(private readonly options: SupabaseStoreOptions) {}

  /** The bucket's file API, creating the client on first use. */
  private async bucket() {
    this.client ??= Promise.all([import("@supabase/supabase-js"), import("ws")]).then(
      ([{ createClient }, ws]) =>
        createClient(this.options.url, this.options.serviceRoleKey, {
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
          // Node 20 has no global WebSocket: supabase-js needs a transport even though Kadr never opens realtime.
          realtime: { transport: ws.default as never },
        }),
    );
    return (await this.client).storage.from(this.options.bucket);
  }

  pathOf(key: string): string {
    if (!isValidBlobKey(key)) throw new Error(`Invalid blob key: ${key}`);
    return path.join(this.options.cacheDir, key);
  }

  /**
   * The cached file of `key`, downloading it first when this instance has not seen it.
   * @throws ProviderError when the download fails (invalid kind with "Object not found" when absent).
   */
  async localPath(key: string): Promise<string> {
    const target = this.pathOf(key);
    if (await fileExists(target)) return target;
    const { data, error } = await (await this.bucket()).download(key);
    if (error) throw fromStorageError(error);
    const bytes = Buffer.from(await data.arrayBuffer());
    await writeAtomically(target, (tmp) => fs.promises.writeFile(tmp, bytes));
    return target;
  }

  /** A public URL (public bucket) or a signed URL valid for `expiresInSeconds` (default 1 hour). */
  async urlOf(key: string, expiresInSeconds = DEFAULT_SIGNED_URL_SECONDS): Promise<string> {
    if (!isValidBlobKey(key)) throw new Error(`Invalid blob key: ${key}`);
    if (this.options.publicBucket) return (await this.bucket()).getPublicUrl(key).data.publicUrl;
    const { data, error } = await (await this.bucket()).createSignedUrl(
      key,
      Math.max(1, Math.round(expiresInSeconds)),
    );
    if (error) throw fromStorageError(error);
    return data.signedUrl;
  }

  async exists(key: string): Promise<boolean> {
    if (!isValidBlobKey(key)) throw new Error(`Invalid blob key: ${key}`);
    const { data, error } = await (await this.bucket()).exists(key);
    if (error && !(isStorageApiError(error) && [400, 404].includes(error.status)))
      throw fromStorageError(error);
    return data === true;
  }

  async putBuffer(data: Buffer, kind: string, ext: string): Promise<StoredBlob> {
    const sha256 = createHash("sha256").update(data).digest("hex");
    const key = keyFor(kind, sha256, ext);
    const target = this.pathOf(key);
    if (!(await fileExists(target))) await writeAtomically(target, (tmp) => fs.promises.writeFile(tmp, data));
    await this.upload(key, data);
    return { key, sha256, bytes: data.length };
  }

  async putFile(filePath: string, kind: string, ext: string): Promise<StoredBlob> {
    return this.putBuffer(await fs.promises.readFile(filePath), kind, ext);
  }

  async remove(key: string): Promise<void> {
    const { error } = await (await this.bucket()).remove([key]);
    if (error) throw fromStorageError(error);
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  private async upload(key: string, data: Buffer): Promise<void> {
    const ext = key.slice(key.lastIndexOf(".") + 1);
    const contentType = CONTENT_TYPES[ext] ?? "application/octet-stream";
    if (data.length > RESUMABLE_CHUNK_BYTES) {
      await this.uploadResumable(key, data, contentType);
      return;
    }
    const { error } = await (await this.bucket()).upload(key, data, {
      upsert: true,
      contentType,
      cacheControl: CACHE_CONTROL_SECONDS,
    });
    if (error) throw fromStorageError(error);
  }

  /**
   * TUS 1.0.0 resumable upload (https://supabase.com/docs/guides/storage/uploads/resumable-uploads):
   * `POST /storage/v1/upload/resumable` with the object's metadata creates the upload, then
   * `PATCH`es send 6 MB chunks; after a failed chunk, `HEAD` tells the offset to resume from
   * (up to RESUMABLE_ATTEMPTS tries per chunk).
   */
  private async uploadResumable(key: string, data: Buffer, contentType: string): Promise<void> {
    const auth = {
      apikey: this.options.serviceRoleKey,
      authorization: `Bearer ${this.options.serviceRoleKey}`,
    };
    const tus = { ...auth, "tus-resumable": "1.0.0" };
    const metadata = {
      bucketName: this.options.bucket,
      objectName: key,
      contentType,
      cacheControl: CACHE_CONTROL_SECONDS,
    };
    const created = await tusFetch(`${this.options.url.replace(/\/$/, "")}/storage/v1/upload/resumable`, {
      method: "POST",
      headers: {
        ...tus,
        "x-upsert": "true",
        "upload-length": String(data.length),
        "upload-metadata": Object.entries(metadata)
          .map(([name, value]) => `${name} ${Buffer.from(value).toString("base64")}`)
          .join(","),
      },
    });
    const location = created.headers.get("location");
    if (created.status !== 201) throw await tusFailure(created);
    if (!location) throw transientFailure(LABEL, "resumable upload created without a Location");
    let offset = 0;
    let attempts = 0;
    while (offset < data.length) {
      const chunk = data.subarray(offset, offset + RESUMABLE_CHUNK_BYTES);
      const sent = await tusFetch(location, {
        method: "PATCH",
        headers: {
          ...tus,
          "upload-offset": String(offset),
          "content-type": "application/offset+octet-stream",
        },
        body: new Uint8Array(chunk),
      }).catch((err: unknown) => err);
      if (sent instanceof Response && sent.status === 204) {
        offset = Number(sent.headers.get("upload-offset"));
        attempts = 0;
        continue;
      }
      attempts += 1;
      if (attempts >= RESUMABLE_ATTEMPTS) {
        throw sent instanceof Response ? await tusFailure(sent) : transientFailure(LABEL, String(sent), sent);
      }
      const head = await tusFetch(location, { method: "HEAD", headers: tus });
      if (head.status !== 200) throw await tusFailure(head);
      offset = Number(head.headers.get("upload-offset"));
    }
  }
}

/** Largest object sent in one request; larger ones go through TUS in chunks of exactly this size (Supabase requires 6 MB). */
export const RESUMABLE_CHUNK_BYTES = 6 * 1024 * 1024;
/** Attempts per TUS chunk before the upload fails. */
const RESUMABLE_ATTEMPTS = 3;
/** Blobs never change under a key: cache them for a year. */
const CACHE_CONTROL_SECONDS = "31536000";

/** fetch for TUS calls, with network failures as retriable ProviderErrors. */
async function tusFetch(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw transientFailure(
      LABEL,
      `resumable upload failed: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
}

/** A TUS error response as a ProviderError (the body is the Storage error JSON when there is one). */
async function tusFailure(response: Response): Promise<ProviderError> {
  const text = await response.text();
  let body: { message?: string; statusCode?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { message: text || undefined };
  }
  const logical = Number(body.statusCode);
  return classifyHttpFailure({
    provider: LABEL,
    setting: KEY_SETTING,
    status: Number.isInteger(logical) && logical >= 400 ? logical : response.status,
    headers: response.headers,
    reason: body.message,
    code: body.message,
  });
}

function keyFor(kind: string, sha256: string, ext: string): string {
  return `${kind}/${sha256.slice(0, 2)}/${sha256}.${ext.replace(/^\./, "").toLowerCase()}`;
}

async function fileExists(file: string): Promise<boolean> {
  return fs.promises
    .access(file)
    .then(() => true)
    .catch(() => false);
}

/** Writes via a temp file + rename so a crash never leaves a partial file under a real key. */
async function writeAtomically(target: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  await write(tmp);
  await fs.promises.rename(tmp, target);
}
