/**
 * The process-wide runtime the pipeline's steps use: the database, the blob store, the providers
 * and the working directory for temporary media. Created lazily from the environment once per
 * process, shared by the embedded executor, the web routes and the CLI; tests install their own.
 */
import path from "node:path";
import { type DbHandle, openDb } from "@/lib/db";
import { loadEnv } from "@/lib/env";
import { getProviders, type Providers } from "@/lib/providers";
import { limitProviderCalls, providerLimitsFromEnv } from "@/lib/providers/limits";
import { type BlobStore, createBlobStore } from "@/lib/storage";
import type { StudioPolicy } from "@/lib/studio/jobs";

/** How the final audio is mixed; from KADR_MUSIC and KADR_LOUDNESS_LUFS by default. */
export interface AudioSettings {
  /** "off", "default" (the synthesized pad, lib/media/music.ts) or an audio file's path. */
  music: string;
  /** Target integrated loudness in LUFS; undefined = as recorded (−16 when there is music). */
  loudnessLufs?: number;
}

export interface Runtime {
  dbHandle: DbHandle;
  store: BlobStore;
  /** The selected providers, each behind its KADR_<KIND>_CONCURRENCY call limit (limits.ts). */
  providers: Providers;
  /** Scratch space for intermediate media files (per job subfolders). */
  workDir: string;
  dataDir: string;
  /** The final mix: music bed and loudness target (lib/media/assemble.ts `music`, `loudnessLufs`). */
  audio: AudioSettings;
  /** Overrides of the studio policy (prices, job limits) for this process; unset parts come from the environment. */
  policy?: Partial<StudioPolicy>;
}

const runtimeKey = Symbol.for("kadr.runtime");
type RuntimeGlobal = typeof globalThis & { [runtimeKey]?: Promise<Runtime> };

/** Builds a runtime from explicit parts (tests) or from the environment. */
export async function createRuntime(parts: Partial<Runtime> = {}): Promise<Runtime> {
  const env = loadEnv();
  const dataDir = parts.dataDir ?? path.resolve(env.KADR_DATA_DIR);
  const dbHandle =
    parts.dbHandle ?? (await openDb({ url: env.DATABASE_URL, dataDir: path.join(dataDir, "pglite") }));
  return {
    dbHandle,
    dataDir,
    store: parts.store ?? createBlobStore(dataDir),
    providers: limitProviderCalls(parts.providers ?? getProviders(), providerLimitsFromEnv()),
    workDir: parts.workDir ?? path.join(dataDir, "work"),
    policy: parts.policy,
    audio: parts.audio ?? { music: env.KADR_MUSIC, loudnessLufs: env.KADR_LOUDNESS_LUFS },
  };
}

/** The process runtime, created on first use. */
export function getRuntime(): Promise<Runtime> {
  const g = globalThis as RuntimeGlobal;
  g[runtimeKey] ??= createRuntime().catch((err) => {
    g[runtimeKey] = undefined;
    throw err;
  });
  return g[runtimeKey];
}

/** Replaces the process runtime (tests, CLI with explicit options). */
export function setRuntime(runtime: Runtime | undefined): void {
  (globalThis as RuntimeGlobal)[runtimeKey] = runtime ? Promise.resolve(runtime) : undefined;
}
