/**
 * Blob storage behind one small interface. The local store keeps files under
 * `$KADR_DATA_DIR/media`, content-addressed: the key is `<kind>/<sha256[0:2]>/<sha256>.<ext>`, so the
 * same bytes are stored once and a key never changes meaning. `KADR_STORAGE=supabase` selects
 * Supabase Storage (supabase.ts) with a local cache under `$KADR_DATA_DIR/media-cache`.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { ConfigError, type SettingProblem } from "@/lib/env";
import { SupabaseBlobStore } from "./supabase";

export interface StoredBlob {
  key: string;
  /** Hex sha256 of the content. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
}

export interface BlobStore {
  /** Stores a local file's bytes under a content-addressed key; the source file is left in place. */
  putFile(filePath: string, kind: string, ext: string): Promise<StoredBlob>;
  /** Stores a buffer under a content-addressed key. */
  putBuffer(data: Buffer, kind: string, ext: string): Promise<StoredBlob>;
  /**
   * Absolute local path of a stored key, for ffmpeg and for serving. With a remote store the file is
   * present only when this process stored or fetched the key; use `localPath` to be sure.
   * @throws when the key is malformed.
   */
  pathOf(key: string): string;
  /** Like `pathOf`, but fetches the blob into the local cache first when a remote store needs to. */
  localPath(key: string): Promise<string>;
  /**
   * A URL other services (providers, browsers) can fetch the blob from: a public or signed URL
   * valid for about `expiresInSeconds`; null for the local store (served by the app's media route).
   */
  urlOf(key: string, expiresInSeconds?: number): Promise<string | null>;
  /** True when the key's bytes are present. */
  exists(key: string): Promise<boolean>;
  /** Removes a key; missing keys are ignored. */
  remove(key: string): Promise<void>;
}

const KEY_PATTERN = /^[a-z]+\/[0-9a-f]{2}\/[0-9a-f]{64}\.[a-z0-9]{1,5}$/;

/** True for keys this store produces (guards the media route against path traversal). */
export function isValidBlobKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

async function sha256OfFile(filePath: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  await pipeline(fs.createReadStream(filePath), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  });
  return { sha256: hash.digest("hex"), bytes };
}

/** A BlobStore on the local filesystem rooted at `root`. */
export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  private keyFor(kind: string, sha256: string, ext: string): string {
    return `${kind}/${sha256.slice(0, 2)}/${sha256}.${ext.replace(/^\./, "").toLowerCase()}`;
  }

  pathOf(key: string): string {
    if (!isValidBlobKey(key)) throw new Error(`Invalid blob key: ${key}`);
    return path.join(this.root, key);
  }

  async localPath(key: string): Promise<string> {
    return this.pathOf(key);
  }

  async urlOf(key: string): Promise<string | null> {
    this.pathOf(key);
    return null;
  }

  async exists(key: string): Promise<boolean> {
    return fs.promises
      .access(this.pathOf(key))
      .then(() => true)
      .catch(() => false);
  }

  /** Writes via a temp file + rename so a crash never leaves a partial blob under a real key. */
  private async place(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.pathOf(key);
    if (await this.exists(key)) return;
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await write(tmp);
    await fs.promises.rename(tmp, target);
  }

  async putFile(filePath: string, kind: string, ext: string): Promise<StoredBlob> {
    const { sha256, bytes } = await sha256OfFile(filePath);
    const key = this.keyFor(kind, sha256, ext);
    await this.place(key, (tmp) => fs.promises.copyFile(filePath, tmp));
    return { key, sha256, bytes };
  }

  async putBuffer(data: Buffer, kind: string, ext: string): Promise<StoredBlob> {
    const sha256 = createHash("sha256").update(data).digest("hex");
    const key = this.keyFor(kind, sha256, ext);
    await this.place(key, (tmp) => fs.promises.writeFile(tmp, data));
    return { key, sha256, bytes: data.length };
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }
}

/** Settings KADR_STORAGE=supabase cannot work without. */
const SUPABASE_SETTINGS = ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"] as const;

/**
 * Every unusable storage setting at once (createBlobStore stops at the first): an unknown
 * KADR_STORAGE, or an unset/blank SUPABASE_URL or SUPABASE_SERVICE_ROLE_KEY for KADR_STORAGE=supabase.
 * Reads `env` only.
 * @returns the problems; empty when createBlobStore would succeed.
 */
export function missingStorageSettings(
  env: Record<string, string | undefined> = process.env,
): SettingProblem[] {
  const kind = env.KADR_STORAGE?.trim().toLowerCase() || "local";
  const selection = `KADR_STORAGE=${kind}`;
  if (kind === "local") return [];
  if (kind !== "supabase") {
    return [
      {
        setting: "KADR_STORAGE",
        selection,
        problem: `is "${env.KADR_STORAGE}", not a known storage (allowed: local, supabase)`,
      },
    ];
  }
  return SUPABASE_SETTINGS.filter((name) => !env[name]?.trim()).map((setting) => ({
    setting,
    selection,
    problem: "is not set",
  }));
}

/**
 * The configured store, from `KADR_STORAGE` (local | supabase; default local):
 * - local: files under `<dataDir>/media`;
 * - supabase: bucket `KADR_SUPABASE_BUCKET` (default "kadr-media") of `SUPABASE_URL` with
 *   `SUPABASE_SERVICE_ROLE_KEY`, public URLs when `KADR_SUPABASE_PUBLIC=true` (else signed), cached
 *   under `<dataDir>/media-cache`.
 *
 * @throws ConfigError naming the variable when KADR_STORAGE is unknown or a Supabase setting is missing.
 */
export function createBlobStore(
  dataDir: string,
  env: Record<string, string | undefined> = process.env,
): BlobStore {
  const kind = env.KADR_STORAGE?.trim().toLowerCase() || "local";
  if (kind === "local") return new LocalBlobStore(path.resolve(dataDir, "media"));
  if (kind !== "supabase") {
    throw new ConfigError(
      `KADR_STORAGE="${env.KADR_STORAGE}" is not a known storage; allowed values: local, supabase`,
    );
  }
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value)
      throw new ConfigError(`KADR_STORAGE=supabase needs ${name}; set it or use KADR_STORAGE=local`);
    return value;
  };
  return new SupabaseBlobStore({
    url: required(SUPABASE_SETTINGS[0]),
    serviceRoleKey: required(SUPABASE_SETTINGS[1]),
    bucket: env.KADR_SUPABASE_BUCKET?.trim() || "kadr-media",
    publicBucket: env.KADR_SUPABASE_PUBLIC?.trim().toLowerCase() === "true",
    cacheDir: path.resolve(dataDir, "media-cache"),
  });
}
