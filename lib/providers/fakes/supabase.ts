/**
 * Strict local fake of Supabase Storage (`${SUPABASE_URL}/storage/v1`), following what
 * `@supabase/storage-js` sends (packages/core/storage-js/src/packages/StorageFileApi.ts) and how the
 * Storage server answers (supabase/storage src/http/routes/object/*, src/internal/errors/codes.ts):
 *
 * - `POST /object/{bucket}/{path}` (upload, `x-upsert`), `PUT` (update), `HEAD` (exists),
 *   `GET` (authenticated download), `DELETE /object/{bucket}` with `{prefixes}`;
 * - `GET /object/public/{bucket}/{path}` (public buckets only);
 * - `POST /object/sign/{bucket}/{path}` `{expiresIn}` → `{signedURL}`, and
 *   `GET /object/sign/{bucket}/{path}?token=` (HMAC-signed, expiring tokens);
 * - TUS 1.0.0 resumable uploads (supabase/storage src/http/routes/tus): `POST /upload/resumable`
 *   (`Upload-Length`, base64 `Upload-Metadata`, `x-upsert`) → 201 + `Location`; `PATCH` chunks of
 *   exactly 6 MB (the last may be shorter) at the current `Upload-Offset` → 204; `HEAD` → the offset.
 *
 * Requests need `apikey: <key>` (else 401 from the API gateway) and `Authorization: Bearer <key>`.
 * The service-role key bypasses row-level security; the anon key is denied writes like an RLS
 * policy would. Errors follow the Storage quirk: HTTP 400 for every non-5xx error, the logical
 * status in the body's `statusCode` string.
 */
import { createHmac, randomUUID } from "node:crypto";
import { bearerToken, type FakeReply, type FakeRequest, FakeServer, jsonObject } from "./server";

/** A bucket of the fake. */
export interface FakeBucket {
  public: boolean;
  /** Largest object in bytes (default 50 MB, the Free plan limit). */
  fileSizeLimit?: number;
  /** Accepted content types (default: any). */
  allowedMimeTypes?: string[];
}

/** Options of `startSupabaseFake`. */
export interface SupabaseFakeOptions {
  /** The service-role key (default "service-role-test-key"). */
  serviceRoleKey?: string;
  /** The anon key (default "anon-test-key"), subject to the fake's deny-all RLS. */
  anonKey?: string;
  /** Buckets by name (default: a private "kadr-media"). */
  buckets?: Record<string, FakeBucket>;
}

/** A stored object. */
export interface FakeObject {
  bytes: Buffer;
  contentType: string;
  cacheControl: string | undefined;
}

/** A Storage error reply (always HTTP 400 unless 5xx). */
export function storageError(
  statusCode: string,
  code: string,
  error: string,
  message: string,
  httpStatus = 400,
): FakeReply {
  return { status: httpStatus, json: { statusCode, code, error, message } };
}

const NO_SUCH_KEY = () => storageError("404", "NoSuchKey", "not_found", "Object not found");
const NO_SUCH_BUCKET = () => storageError("404", "NoSuchBucket", "Bucket not found", "Bucket not found");

/** The Supabase Storage fake; `objects` maps "bucket/path" to stored objects. */
export class SupabaseFake extends FakeServer {
  readonly serviceRoleKey: string;
  readonly anonKey: string;
  readonly buckets: Record<string, FakeBucket>;
  readonly objects = new Map<string, FakeObject>();
  private readonly signingSecret = randomUUID();
  private readonly uploads = new Map<
    string,
    { key: string; length: number; contentType: string; received: Buffer[]; offset: number }
  >();
  /** Chunk size TUS uploads must use (Supabase: 6 MB). */
  readonly tusChunkBytes = 6 * 1024 * 1024;

  constructor(options: SupabaseFakeOptions = {}) {
    super();
    this.serviceRoleKey = options.serviceRoleKey ?? "service-role-test-key";
    this.anonKey = options.anonKey ?? "anon-test-key";
    this.buckets = options.buckets ?? { "kadr-media": { public: false } };
  }

  /** Signs `{ url, exp }` like the Storage server's signed-URL JWT (HS256 over base64url JSON). */
  signToken(objectKey: string, expiresAtSeconds: number): string {
    const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ url: objectKey, exp: expiresAtSeconds })).toString(
      "base64url",
    );
    const signature = createHmac("sha256", this.signingSecret)
      .update(`${header}.${payload}`)
      .digest("base64url");
    return `${header}.${payload}.${signature}`;
  }

  protected override handle(request: FakeRequest): FakeReply {
    if (request.path.startsWith("/storage/v1/upload/resumable")) return this.tus(request);
    const match = /^\/storage\/v1\/(object(?:\/public|\/sign)?)\/([^/]+)(?:\/(.+))?$/.exec(request.path);
    if (!match) return { status: 404, json: { message: "no Route matched with those values" } };
    const [, route, bucketName, objectPath] = match as unknown as [
      string,
      string,
      string,
      string | undefined,
    ];
    if (route === "object/public" && request.method === "GET")
      return this.publicDownload(bucketName, objectPath);
    if (route === "object/sign" && request.method === "GET")
      return this.signedDownload(request, bucketName, objectPath);

    const apikey = request.headers.apikey;
    if (apikey !== this.serviceRoleKey && apikey !== this.anonKey) {
      return {
        status: 401,
        json: {
          message: "Invalid API key",
          hint: "Double check your Supabase `anon` or `service_role` API key.",
        },
      };
    }
    if (bearerToken(request) !== apikey)
      return storageError("400", "InvalidJWT", "InvalidJWT", "invalid signature");
    const bucket = this.buckets[bucketName];
    if (!bucket) return NO_SUCH_BUCKET();
    const isService = apikey === this.serviceRoleKey;

    if (route === "object/sign" && request.method === "POST") {
      if (!objectPath) return storageError("400", "InvalidRequest", "Bad Request", "Missing object path");
      const body = jsonObject(request);
      const expiresIn = body?.expiresIn;
      if (!(Number.isInteger(expiresIn) && (expiresIn as number) > 0)) {
        return storageError("400", "InvalidRequest", "Bad Request", "body/expiresIn must be >= 1");
      }
      if (!this.objects.has(`${bucketName}/${objectPath}`)) return NO_SUCH_KEY();
      const token = this.signToken(
        `${bucketName}/${objectPath}`,
        Math.floor(Date.now() / 1000) + (expiresIn as number),
      );
      return { status: 200, json: { signedURL: `/object/sign/${bucketName}/${objectPath}?token=${token}` } };
    }
    if (route !== "object") return { status: 404, json: { message: "no Route matched with those values" } };

    if (request.method === "DELETE" && !objectPath) {
      const prefixes = jsonObject(request)?.prefixes;
      if (!Array.isArray(prefixes))
        return storageError(
          "400",
          "InvalidRequest",
          "Bad Request",
          "body must have required property 'prefixes'",
        );
      if (!isService) return { status: 200, json: [] };
      const removed = prefixes.filter((p) => this.objects.delete(`${bucketName}/${p}`));
      return { status: 200, json: removed.map((name) => ({ name, bucket_id: bucketName })) };
    }
    if (!objectPath) return storageError("400", "InvalidRequest", "Bad Request", "Missing object path");
    const key = `${bucketName}/${objectPath}`;
    const stored = this.objects.get(key);
    switch (request.method) {
      case "HEAD":
        return stored
          ? {
              status: 200,
              headers: { "content-type": stored.contentType, "content-length": String(stored.bytes.length) },
            }
          : { status: 400 };
      case "GET":
        return stored ? this.objectReply(stored) : NO_SUCH_KEY();
      case "POST":
      case "PUT":
        return this.upload(request, bucket, key, stored, isService);
      default:
        return { status: 405, json: { message: "Method Not Allowed" } };
    }
  }

  private upload(
    request: FakeRequest,
    bucket: FakeBucket,
    key: string,
    stored: FakeObject | undefined,
    isService: boolean,
  ): FakeReply {
    if (!isService) {
      return storageError(
        "403",
        "AccessDenied",
        "Unauthorized",
        "new row violates row-level security policy",
      );
    }
    const contentType = request.headers["content-type"] ?? "";
    if (contentType.startsWith("multipart/form-data")) {
      return storageError("400", "InvalidRequest", "Bad Request", "this fake accepts raw-body uploads only");
    }
    if (contentType === "")
      return storageError("400", "InvalidRequest", "Bad Request", "content-type is required");
    if (bucket.allowedMimeTypes && !bucket.allowedMimeTypes.includes(contentType)) {
      return storageError(
        "415",
        "InvalidMimeType",
        "invalid_mime_type",
        `mime type ${contentType} is not supported`,
      );
    }
    if (request.body.length > (bucket.fileSizeLimit ?? 50 * 1024 * 1024)) {
      return storageError(
        "413",
        "EntityTooLarge",
        "Payload too large",
        "The object exceeded the maximum allowed size",
      );
    }
    if (request.method === "POST" && stored && request.headers["x-upsert"] !== "true") {
      return storageError("409", "KeyAlreadyExists", "Duplicate", "The resource already exists");
    }
    if (request.method === "PUT" && !stored) return NO_SUCH_KEY();
    this.objects.set(key, {
      bytes: request.body,
      contentType,
      cacheControl: request.headers["cache-control"],
    });
    return { status: 200, json: { Id: randomUUID(), Key: key } };
  }

  private tus(request: FakeRequest): FakeReply {
    if (request.headers.apikey !== this.serviceRoleKey || bearerToken(request) !== this.serviceRoleKey) {
      return storageError(
        "403",
        "AccessDenied",
        "Unauthorized",
        "new row violates row-level security policy",
      );
    }
    if (request.headers["tus-resumable"] !== "1.0.0")
      return { status: 412, headers: { "tus-version": "1.0.0" }, body: "Unsupported TUS version" };
    const tusHeaders = { "tus-resumable": "1.0.0" };
    if (request.method === "POST" && request.path === "/storage/v1/upload/resumable") {
      const length = Number(request.headers["upload-length"]);
      const metadata = Object.fromEntries(
        String(request.headers["upload-metadata"] ?? "")
          .split(",")
          .filter(Boolean)
          .map((pair) => {
            const [name, value = ""] = pair.trim().split(" ");
            return [name, Buffer.from(value, "base64").toString("utf8")];
          }),
      ) as Record<string, string>;
      const bucket = this.buckets[metadata.bucketName ?? ""];
      if (!bucket) return NO_SUCH_BUCKET();
      if (!Number.isInteger(length) || length < 0 || !metadata.objectName) {
        return storageError(
          "400",
          "InvalidRequest",
          "Bad Request",
          "Upload-Length and Upload-Metadata objectName are required",
        );
      }
      if (length > (bucket.fileSizeLimit ?? 50 * 1024 * 1024)) {
        return storageError(
          "413",
          "EntityTooLarge",
          "Payload too large",
          "The object exceeded the maximum allowed size",
        );
      }
      const key = `${metadata.bucketName}/${metadata.objectName}`;
      if (this.objects.has(key) && request.headers["x-upsert"] !== "true")
        return { status: 409, headers: tusHeaders, body: "Conflict" };
      const id = randomUUID();
      this.uploads.set(id, {
        key,
        length,
        contentType: metadata.contentType ?? "application/octet-stream",
        received: [],
        offset: 0,
      });
      return {
        status: 201,
        headers: { ...tusHeaders, location: `${this.url}/storage/v1/upload/resumable/${id}` },
      };
    }
    const upload = this.uploads.get(request.path.split("/").pop() ?? "");
    if (!upload) return { status: 404, headers: tusHeaders, body: "Not Found" };
    if (request.method === "HEAD") {
      return {
        status: 200,
        headers: {
          ...tusHeaders,
          "upload-offset": String(upload.offset),
          "upload-length": String(upload.length),
          "cache-control": "no-store",
        },
      };
    }
    if (request.method !== "PATCH") return { status: 405, body: "Method Not Allowed" };
    if (request.headers["content-type"] !== "application/offset+octet-stream")
      return { status: 415, headers: tusHeaders, body: "Unsupported Media Type" };
    if (Number(request.headers["upload-offset"]) !== upload.offset)
      return { status: 409, headers: tusHeaders, body: "Offset mismatch" };
    const last = upload.offset + request.body.length === upload.length;
    if (request.body.length !== this.tusChunkBytes && !last) {
      return storageError(
        "400",
        "InvalidChunkSize",
        "Bad Request",
        `Chunk size must be exactly ${this.tusChunkBytes} bytes except for the last chunk`,
      );
    }
    upload.received.push(request.body);
    upload.offset += request.body.length;
    if (upload.offset === upload.length) {
      this.objects.set(upload.key, {
        bytes: Buffer.concat(upload.received),
        contentType: upload.contentType,
        cacheControl: undefined,
      });
    }
    return { status: 204, headers: { ...tusHeaders, "upload-offset": String(upload.offset) } };
  }

  private objectReply(stored: FakeObject): FakeReply {
    return { status: 200, headers: { "content-type": stored.contentType }, body: stored.bytes };
  }

  private publicDownload(bucketName: string, objectPath: string | undefined): FakeReply {
    const bucket = this.buckets[bucketName];
    const stored = objectPath ? this.objects.get(`${bucketName}/${objectPath}`) : undefined;
    if (!bucket?.public || !stored) return NO_SUCH_KEY();
    return this.objectReply(stored);
  }

  private signedDownload(
    request: FakeRequest,
    bucketName: string,
    objectPath: string | undefined,
  ): FakeReply {
    const token = request.query.get("token") ?? "";
    const [header, payload, signature] = token.split(".");
    const expected = createHmac("sha256", this.signingSecret)
      .update(`${header}.${payload}`)
      .digest("base64url");
    if (!payload || signature !== expected)
      return storageError("400", "InvalidJWT", "InvalidJWT", "invalid signature");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      url: string;
      exp: number;
    };
    if (claims.exp <= Math.floor(Date.now() / 1000))
      return storageError("400", "InvalidJWT", "InvalidJWT", "jwt expired");
    if (claims.url !== `${bucketName}/${objectPath}`)
      return storageError(
        "400",
        "InvalidSignature",
        "InvalidSignature",
        "The url do not match the signature",
      );
    const stored = this.objects.get(claims.url);
    return stored ? this.objectReply(stored) : NO_SUCH_KEY();
  }
}

/** Starts a Supabase Storage fake on 127.0.0.1; give the SDK `fake.url` as SUPABASE_URL. */
export function startSupabaseFake(options?: SupabaseFakeOptions): Promise<SupabaseFake> {
  return new SupabaseFake(options).start();
}
