import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "@/lib/env";
import { type SupabaseFake, startSupabaseFake } from "@/lib/providers/fakes/supabase";
import { createBlobStore, LocalBlobStore } from "./index";
import { SupabaseBlobStore } from "./supabase";

let fake: SupabaseFake;
let root: string;

beforeAll(async () => {
  fake = await startSupabaseFake({
    buckets: {
      "kadr-media": { public: false, fileSizeLimit: 1024 * 1024 },
      "kadr-public": { public: true },
    },
  });
});
afterAll(() => fake.close());
beforeEach(async () => {
  fake.requests.length = 0;
  fake.objects.clear();
  root = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-supabase-"));
});

function store(overrides: Partial<ConstructorParameters<typeof SupabaseBlobStore>[0]> = {}) {
  return new SupabaseBlobStore({
    url: fake.url,
    serviceRoleKey: fake.serviceRoleKey,
    bucket: "kadr-media",
    publicBucket: false,
    cacheDir: path.join(root, "cache"),
    ...overrides,
  });
}

const PNG = Buffer.from("not really a png, but bytes");
const SHA = createHash("sha256").update(PNG).digest("hex");
const KEY = `image/${SHA.slice(0, 2)}/${SHA}.png`;

describe("SupabaseBlobStore against the fake Storage API", () => {
  it("uploads content-addressed with upsert and keeps a local copy for ffmpeg", async () => {
    const blob = await store().putBuffer(PNG, "image", "png");
    expect(blob).toEqual({ key: KEY, sha256: SHA, bytes: PNG.length });
    expect(fake.objects.get(`kadr-media/${KEY}`)).toEqual({
      bytes: PNG,
      contentType: "image/png",
      cacheControl: "max-age=31536000",
    });
    const upload = fake.requestsTo(/^POST \/storage\/v1\/object\/kadr-media\//)[0]!;
    expect(upload.headers).toMatchObject({
      apikey: fake.serviceRoleKey,
      authorization: `Bearer ${fake.serviceRoleKey}`,
      "x-upsert": "true",
    });
    expect(await fs.promises.readFile(store().pathOf(KEY))).toEqual(PNG);
    // The same bytes again: upsert, no duplicate error.
    await expect(store().putBuffer(PNG, "image", "png")).resolves.toMatchObject({ key: KEY });
  });

  it("stores files, answers exists, removes", async () => {
    const file = path.join(root, "clip.mp4");
    await fs.promises.writeFile(file, "mp4 bytes");
    const s = store();
    const { key } = await s.putFile(file, "clip", ".MP4");
    expect(key).toMatch(/^clip\/[0-9a-f]{2}\/[0-9a-f]{64}\.mp4$/);
    expect(fake.objects.get(`kadr-media/${key}`)?.contentType).toBe("video/mp4");
    expect(await s.exists(key)).toBe(true);
    await s.remove(key);
    expect(await s.exists(key)).toBe(false);
    expect(fs.existsSync(s.pathOf(key))).toBe(false);
    expect(fake.requestsTo(/^DELETE /)[0]!.json).toEqual({ prefixes: [key] });
  });

  it("downloads a blob stored by another instance into the cache on localPath", async () => {
    await store({ cacheDir: path.join(root, "other-instance") }).putBuffer(PNG, "image", "png");
    const s = store();
    expect(fs.existsSync(s.pathOf(KEY))).toBe(false);
    const local = await s.localPath(KEY);
    expect(local).toBe(s.pathOf(KEY));
    expect(await fs.promises.readFile(local)).toEqual(PNG);
    expect(fake.requestsTo(/^GET \/storage\/v1\/object\/kadr-media\//)).toHaveLength(1);
    await s.localPath(KEY);
    expect(fake.requestsTo(/^GET /)).toHaveLength(1);
  });

  it("gives signed URLs that download, and permanent public URLs for a public bucket", async () => {
    const s = store();
    await s.putBuffer(PNG, "image", "png");
    const signed = await s.urlOf(KEY, 60);
    expect(signed).toMatch(new RegExp(`^${fake.url}/storage/v1/object/sign/kadr-media/${KEY}\\?token=`));
    expect(Buffer.from(await (await fetch(signed)).arrayBuffer())).toEqual(PNG);
    expect(fake.requestsTo(/^POST \/storage\/v1\/object\/sign\//)[0]!.json).toEqual({ expiresIn: 60 });
    // A tampered token is refused.
    expect((await fetch(`${signed}x`)).status).toBe(400);

    const pub = store({ bucket: "kadr-public", publicBucket: true });
    await pub.putBuffer(PNG, "image", "png");
    const url = await pub.urlOf(KEY);
    expect(url).toBe(`${fake.url}/storage/v1/object/public/kadr-public/${KEY}`);
    expect((await fetch(url)).status).toBe(200);
    // The private bucket has no public URL.
    expect((await fetch(`${fake.url}/storage/v1/object/public/kadr-media/${KEY}`)).status).toBe(400);
  });

  it("maps a wrong key to an auth error naming SUPABASE_SERVICE_ROLE_KEY", async () => {
    await expect(store({ serviceRoleKey: "wrong" }).putBuffer(PNG, "image", "png")).rejects.toMatchObject({
      kind: "auth",
      status: 401,
      message:
        "Supabase Storage refused Kadr's access (HTTP 401): Invalid API key; check SUPABASE_SERVICE_ROLE_KEY",
    });
    // The anon key is denied by row-level security (HTTP 400, statusCode "403").
    await expect(
      store({ serviceRoleKey: fake.anonKey }).putBuffer(PNG, "image", "png"),
    ).rejects.toMatchObject({
      kind: "auth",
      status: 403,
    });
  });

  it("maps a missing bucket and an oversized object to invalid errors with the server's reason", async () => {
    await expect(store({ bucket: "nope" }).putBuffer(PNG, "image", "png")).rejects.toMatchObject({
      kind: "invalid",
      message: "Supabase Storage rejected the request (HTTP 404): Bucket not found",
    });
    await expect(store().putBuffer(Buffer.alloc(2 * 1024 * 1024), "clip", "mp4")).rejects.toMatchObject({
      kind: "invalid",
      status: 413,
      message:
        "Supabase Storage rejected the request (HTTP 413): The object exceeded the maximum allowed size",
    });
  });

  it("maps a 5xx and a dropped connection to retriable errors", async () => {
    fake.script({
      status: 503,
      json: {
        statusCode: "503",
        code: "SlowDown",
        error: "SlowDown",
        message: "Please reduce your request rate",
      },
    });
    await expect(store().putBuffer(PNG, "image", "png")).rejects.toMatchObject({
      kind: "retriable",
      status: 503,
    });
    await expect(store({ url: "http://127.0.0.1:9" }).putBuffer(PNG, "image", "png")).rejects.toMatchObject({
      kind: "retriable",
    });
  });
});

describe("createBlobStore", () => {
  it("keeps the local store by default and builds the Supabase store from the environment", () => {
    expect(createBlobStore(root, {})).toBeInstanceOf(LocalBlobStore);
    const s = createBlobStore(root, {
      KADR_STORAGE: "supabase",
      SUPABASE_URL: fake.url,
      SUPABASE_SERVICE_ROLE_KEY: "k",
    });
    expect(s).toBeInstanceOf(SupabaseBlobStore);
    expect(s.pathOf(KEY)).toBe(path.join(root, "media-cache", KEY));
  });

  it("names the missing setting or the bad value", () => {
    expect(() => createBlobStore(root, { KADR_STORAGE: "supabase", SUPABASE_URL: fake.url })).toThrow(
      new ConfigError(
        "KADR_STORAGE=supabase needs SUPABASE_SERVICE_ROLE_KEY; set it or use KADR_STORAGE=local",
      ),
    );
    expect(() => createBlobStore(root, { KADR_STORAGE: "s3" })).toThrow(
      /KADR_STORAGE="s3" is not a known storage/,
    );
  });
});

describe("resumable uploads", () => {
  it("sends objects over 6 MB through TUS in 6 MB chunks and resumes after a failed chunk", async () => {
    const big = Buffer.alloc(13 * 1024 * 1024, 7);
    big.write("head", 0);
    fake.script({ match: /^PATCH /, status: 500, body: "chunk lost" });
    const s = store({ bucket: "kadr-public" });
    const { key } = await s.putBuffer(big, "video", "mp4");
    expect(fake.objects.get(`kadr-public/${key}`)?.bytes.equals(big)).toBe(true);
    const create = fake.requestsTo(/^POST \/storage\/v1\/upload\/resumable$/)[0]!;
    expect(create.headers).toMatchObject({
      "tus-resumable": "1.0.0",
      "upload-length": String(big.length),
      "x-upsert": "true",
    });
    expect(String(create.headers["upload-metadata"])).toContain(
      `objectName ${Buffer.from(key).toString("base64")}`,
    );
    const patches = fake.requestsTo(/^PATCH /);
    expect(patches.map((p) => [p.headers["upload-offset"], p.body.length])).toEqual([
      ["0", 6 * 1024 * 1024], // failed (scripted 500), then HEAD says offset 0
      ["0", 6 * 1024 * 1024],
      [String(6 * 1024 * 1024), 6 * 1024 * 1024],
      [String(12 * 1024 * 1024), 1024 * 1024],
    ]);
    expect(fake.requestsTo(/^HEAD \/storage\/v1\/upload\/resumable\//)).toHaveLength(1);
  });

  it("fails with an auth error when TUS refuses the key", async () => {
    await expect(
      store({ serviceRoleKey: fake.anonKey, bucket: "kadr-public" }).putBuffer(
        Buffer.alloc(7 * 1024 * 1024),
        "video",
        "mp4",
      ),
    ).rejects.toMatchObject({
      kind: "auth",
      status: 403,
    });
  });
});
