// Runs one ffmpeg or ffprobe command inside @ffmpeg/core (wasm, single thread), then exits.
// Plain .mjs on purpose: it is started by path (new Worker(file)) under tsx, vitest and Next.js alike,
// so it must not need a TypeScript loader or a bundler.
//
// workerData: { wasmModule: WebAssembly.Module, tool: "ffmpeg" | "ffprobe", args: string[],
//               inputs: string[], outputs: string[] } — inputs/outputs are absolute paths.
// Messages to the parent: { kind: "stderr", line } while running, then { kind: "done", exitCode, stdout }.
//
// File I/O: every input is copied into the in-memory FS (MEMFS) at its own absolute path, so
// arguments and concat lists that name real paths work unchanged; outputs are copied back after a
// successful run.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";

const { wasmModule, tool, args, inputs, outputs } = workerData;

const coreUrl = import.meta.resolve("@ffmpeg/core");
// The Emscripten glue is built for browser workers and reads self.location while loading.
globalThis.self = { location: { href: coreUrl } };
const { default: createFFmpegCore } = await import(coreUrl);

const core = await createFFmpegCore({
  // The parent compiles the 32 MB wasm once per process; instantiating it here takes ~10 ms.
  instantiateWasm(imports, receiveInstance) {
    WebAssembly.instantiate(wasmModule, imports).then(receiveInstance);
    return {};
  },
});

const stdout = [];
core.setLogger(({ type, message }) => {
  if (type === "stdout") stdout.push(message);
  // "Aborted()" is how the core reports ffmpeg's normal exit, not an error.
  else if (message !== "Aborted()") parentPort.postMessage({ kind: "stderr", line: message });
});

for (const file of inputs) {
  core.FS.mkdirTree(path.dirname(file));
  core.FS.writeFile(file, readFileSync(file));
}
for (const file of outputs) core.FS.mkdirTree(path.dirname(file));

// The core does not report ffprobe's exit status (it returns -1 on success too): callers validate
// ffprobe's JSON instead.
const exitCode = tool === "ffprobe" ? runFfprobe() : core.exec(...args);

if (exitCode === 0) {
  for (const file of outputs) {
    if (!core.FS.analyzePath(file).exists) throw new Error(`${tool} did not write ${file}`);
    writeFileSync(file, core.FS.readFile(file));
  }
}
parentPort.postMessage({ kind: "done", exitCode, stdout: stdout.join("\n") });

function runFfprobe() {
  core.ffprobe(...args);
  return 0;
}
