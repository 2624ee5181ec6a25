/**
 * One ffmpeg/ffprobe runner, two backends:
 * - native: the `ffmpeg` binary from FFMPEG_PATH, else from PATH; `ffprobe` from FFPROBE_PATH, else
 *   next to that ffmpeg, else from PATH. A variable that is set but does not name an executable
 *   file counts as "no binary" (it is never silently replaced by PATH).
 * - wasm: @ffmpeg/core 0.12 (ffmpeg 5.1, single thread) in a worker thread, one fresh core per call
 *   (the core cannot run twice). Used when no native binary is found, or when KADR_FFMPEG=wasm.
 *
 * KADR_FFMPEG = auto (default) | native | wasm. "native" fails with FFMPEG_NOT_FOUND instead of
 * falling back to wasm.
 *
 * Start-up cost per call, measured on a 2-core machine (`ffmpeg -version`, ffprobe of a small MP4):
 * native 65-95 ms (process start); wasm 50-65 ms (worker + instantiate), plus 100-250 ms once per
 * process to compile the 32 MB core, which every later worker reuses. The work itself is 2-3× slower
 * in wasm (no hand-written assembly, one thread): a 5 s 720p Ken Burns clip takes ~2.5 s native, ~7 s wasm.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { access, constants, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { MediaError } from "./errors";

export type FfmpegBackend = "native" | "wasm";

export interface RunFfmpegOptions {
  /** Absolute paths of every file ffmpeg reads, including files named inside a concat list. */
  inputs: string[];
  /** Absolute paths of every file ffmpeg writes. */
  outputs: string[];
  /** Kill the run after this many milliseconds (default 15 minutes). */
  timeoutMs?: number;
}

export interface RunFfprobeOptions {
  /** Absolute paths of every file ffprobe reads. */
  inputs: string[];
  /** Kill the run after this many milliseconds (default 15 minutes). */
  timeoutMs?: number;
}

interface Toolchain {
  /** Absolute path of native ffmpeg, or null for the wasm core. */
  ffmpeg: string | null;
  /** Absolute path of native ffprobe, or null for the wasm core. */
  ffprobe: string | null;
}

interface RawRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

type Tool = "ffmpeg" | "ffprobe";

const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;
const COMMON_FFMPEG_FLAGS = ["-hide_banner", "-nostdin", "-nostats", "-y"];
const WASM_WORKER_FILE = "ffmpeg-wasm-worker.mjs";
/** Each wasm run holds a whole ffmpeg heap; more parallel runs than cores only add memory. */
const MAX_PARALLEL_WASM_RUNS = availableParallelism();

/**
 * Which backend runFfmpeg will use right now (re-read from the environment on every call).
 * @throws MediaError INVALID_CONFIG for an unknown KADR_FFMPEG; FFMPEG_NOT_FOUND when
 *   KADR_FFMPEG=native and no native ffmpeg/ffprobe is found.
 */
export async function getFfmpegBackend(): Promise<FfmpegBackend> {
  const tools = await resolveToolchain();
  return tools.ffmpeg ? "native" : "wasm";
}

/**
 * Runs ffmpeg with `args` (global flags -hide_banner -nostdin -nostats -y are prepended).
 * `opts.inputs`/`opts.outputs` must list every absolute path ffmpeg reads/writes: the wasm backend
 * copies them into and out of its in-memory file system (native ignores the lists).
 * @returns ffmpeg's stderr (its log, e.g. for volumedetect/astats output).
 * @throws MediaError FFMPEG_FAILED on a non-zero exit or a missing output, FFMPEG_TIMEOUT,
 *   FFMPEG_NOT_FOUND, INVALID_CONFIG — each with the last 20 lines of stderr.
 */
export async function runFfmpeg(args: string[], opts: RunFfmpegOptions): Promise<{ stderr: string }> {
  const tools = await resolveToolchain();
  const fullArgs = [...COMMON_FFMPEG_FLAGS, ...args];
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const run = tools.ffmpeg
    ? await runNative(tools.ffmpeg, fullArgs, timeoutMs)
    : await runWasm("ffmpeg", fullArgs, opts.inputs, opts.outputs, timeoutMs);
  if (run.exitCode !== 0) {
    throw new MediaError("FFMPEG_FAILED", `ffmpeg exited with code ${run.exitCode}`, run.stderr);
  }
  return { stderr: run.stderr };
}

/**
 * Runs ffprobe with `args` and returns its stdout (the report) and stderr (its log). The wasm core
 * does not report ffprobe's exit status, so callers must validate the report (probe.ts does).
 * @throws MediaError PROBE_FAILED on a non-zero native exit, FFMPEG_TIMEOUT, FFMPEG_NOT_FOUND.
 */
export async function runFfprobe(
  args: string[],
  opts: RunFfprobeOptions,
): Promise<{ stdout: string; stderr: string }> {
  const tools = await resolveToolchain();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const run = tools.ffprobe
    ? await runNative(tools.ffprobe, args, timeoutMs)
    : await runWasm("ffprobe", args, opts.inputs, [], timeoutMs);
  if (run.exitCode !== 0) {
    throw new MediaError("PROBE_FAILED", `ffprobe exited with code ${run.exitCode}`, run.stderr);
  }
  return { stdout: run.stdout, stderr: run.stderr };
}

async function resolveToolchain(): Promise<Toolchain> {
  const preference = backendPreference();
  const wasm: Toolchain = { ffmpeg: null, ffprobe: null };
  if (preference === "wasm") return wasm;
  const ffmpeg = await findExecutable("FFMPEG_PATH", "ffmpeg");
  const ffprobe = ffmpeg && (await findExecutable("FFPROBE_PATH", "ffprobe", path.dirname(ffmpeg)));
  if (preference === "native" && !(ffmpeg && ffprobe)) {
    throw new MediaError(
      "FFMPEG_NOT_FOUND",
      "KADR_FFMPEG=native but no executable ffmpeg and ffprobe were found (FFMPEG_PATH, FFPROBE_PATH, PATH)",
    );
  }
  // Native ffmpeg without a native ffprobe: probe with the wasm core, which ships ffprobe too.
  return ffmpeg ? { ffmpeg, ffprobe } : wasm;
}

function backendPreference(): "auto" | FfmpegBackend {
  const value = process.env.KADR_FFMPEG || "auto";
  if (value === "auto" || value === "native" || value === "wasm") return value;
  throw new MediaError("INVALID_CONFIG", `KADR_FFMPEG must be auto, native or wasm (got "${value}")`);
}

/** `envVar` when set (null unless it names an executable file), else `name` in `firstDir` or on PATH. */
async function findExecutable(envVar: string, name: string, firstDir?: string): Promise<string | null> {
  const configured = process.env[envVar];
  if (configured) return (await isExecutableFile(configured)) ? path.resolve(configured) : null;
  const pathDirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of firstDir ? [firstDir, ...pathDirs] : pathDirs) {
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function runNative(binary: string, args: string[], timeoutMs: number): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new MediaError("FFMPEG_NOT_FOUND", `cannot start ${binary}: ${error.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) reject(timeoutError(path.basename(binary), timeoutMs, text(stderr)));
      else resolve({ exitCode: code ?? 1, stdout: text(stdout), stderr: text(stderr) });
    });
  });
}

type WorkerMessage = { kind: "stderr"; line: string } | { kind: "done"; exitCode: number; stdout: string };

async function runWasm(
  tool: Tool,
  args: string[],
  inputs: string[],
  outputs: string[],
  timeoutMs: number,
): Promise<RawRun> {
  const wasmModule = await compiledCore();
  return withWasmSlot(
    () =>
      new Promise<RawRun>((resolve, reject) => {
        const stderr: string[] = [];
        const worker = new Worker(wasmWorkerFile(), {
          workerData: { wasmModule, tool, args, inputs, outputs },
          // The worker is plain JavaScript: skip loaders inherited from tsx/vitest (~150 ms each).
          execArgv: [],
        });
        const settle = (finish: () => void) => {
          clearTimeout(timer);
          worker.removeAllListeners();
          void worker.terminate();
          finish();
        };
        const timer = setTimeout(
          () => settle(() => reject(timeoutError(tool, timeoutMs, stderr.join("\n")))),
          timeoutMs,
        );
        worker.on("message", (message: WorkerMessage) => {
          if (message.kind === "stderr") stderr.push(message.line);
          else
            settle(() =>
              resolve({ exitCode: message.exitCode, stdout: message.stdout, stderr: stderr.join("\n") }),
            );
        });
        worker.on("error", (error) =>
          settle(() =>
            reject(new MediaError("FFMPEG_FAILED", `wasm ${tool}: ${error.message}`, stderr.join("\n"))),
          ),
        );
        worker.on("exit", (code) =>
          settle(() =>
            reject(
              new MediaError("FFMPEG_FAILED", `wasm ${tool} worker exited (${code})`, stderr.join("\n")),
            ),
          ),
        );
      }),
  );
}

let activeWasmRuns = 0;
const waitingWasmRuns: (() => void)[] = [];

/** Runs `task` when fewer than MAX_PARALLEL_WASM_RUNS wasm runs are active (FIFO queue). */
async function withWasmSlot<T>(task: () => Promise<T>): Promise<T> {
  if (activeWasmRuns < MAX_PARALLEL_WASM_RUNS) activeWasmRuns++;
  else await new Promise<void>((resolve) => waitingWasmRuns.push(resolve));
  try {
    return await task();
  } finally {
    // Hand the slot straight to the next waiter, so a newcomer cannot overtake it.
    const next = waitingWasmRuns.shift();
    if (next) next();
    else activeWasmRuns--;
  }
}

let compiledCorePromise: Promise<WebAssembly.Module> | undefined;

/** The @ffmpeg/core wasm, compiled once per process and shared with every worker. */
function compiledCore(): Promise<WebAssembly.Module> {
  compiledCorePromise ??= readFile(resolveFromApp("@ffmpeg/core/wasm"))
    .then((bytes) => WebAssembly.compile(bytes))
    .catch((error: unknown) => {
      compiledCorePromise = undefined;
      throw new MediaError("FFMPEG_NOT_FOUND", `cannot load @ffmpeg/core: ${String(error)}`);
    });
  return compiledCorePromise;
}

/** Resolves a package file from this module, or from the app root when a bundler moved this module. */
function resolveFromApp(specifier: string): string {
  for (const base of [import.meta.url, path.join(process.cwd(), "package.json")]) {
    try {
      return createRequire(base).resolve(specifier);
    } catch {
      // try the next base
    }
  }
  throw new MediaError("FFMPEG_NOT_FOUND", `${specifier} is not installed`);
}

/**
 * The worker file beside this module (tsx, vitest), else <cwd>/lib/media/ (when Next.js bundled
 * this module somewhere the worker file was not copied to).
 */
function wasmWorkerFile(): URL | string {
  const beside = new URL(WASM_WORKER_FILE, import.meta.url);
  if (beside.protocol === "file:" && existsSync(beside)) return beside;
  return path.join(process.cwd(), "lib", "media", WASM_WORKER_FILE);
}

function timeoutError(tool: string, timeoutMs: number, stderr: string): MediaError {
  return new MediaError("FFMPEG_TIMEOUT", `${tool} did not finish within ${timeoutMs} ms`, stderr);
}
