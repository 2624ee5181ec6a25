/**
 * Bench section `assembly` (shared/BENCH.md): on one set of inputs — 48 clips of 5 s at 1280x720
 * 24 fps, each encoded with its own x264 settings as providers return them, normalized once, plus
 * ~4 min of narration and 48 captions — it measures
 *   (a) Kadr's smart assembly (assembleVideo: stream copy + re-encoded section crossfades + mux),
 *       cold and with the crossfade windows rendered ahead (prerenderTransitions),
 *   (b) a full re-encode of the same timeline in one filter graph (assembleFull),
 *   (c) a plain stream-copy concat of the clips with the narration, no transitions (the floor),
 * in seconds and peak memory, with the ratios a/b and a/c, on the native and the wasm backend; and
 * the normalization time per clip. Goals: (a) ≤ 2 s native, a/c ≤ 1.5, a/b ≤ 1/30.
 *
 * Every input is generated here from lavfi sources with a fixed seed, in a temp dir removed at the
 * end. Peak memory: for native runs, the sum of VmHWM (peak RSS) of the live ffmpeg children,
 * sampled every 20 ms from /proc; for wasm runs (worker threads of this process), the growth of
 * this process's RSS over its value before the run.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import {
  type AssembleOptions,
  type AssemblyClip,
  assembleFull,
  assembleVideo,
  prerenderTransitions,
} from "@/lib/media/assemble";
import { runFfmpeg } from "@/lib/media/ffmpeg";
import { analyzeAudio } from "@/lib/media/loudness";
import { defaultMusicBed } from "@/lib/media/music";
import { encodeNarration, narrationCues } from "@/lib/media/narration";
import { normalizeClip } from "@/lib/media/normalize";
import { probeMedia } from "@/lib/media/probe";
import { profileForAspect } from "@/lib/media/profile";
import { type Section, timelineSeconds } from "@/lib/media/timeline";
import { type BenchRow, median } from "../types";

const SECTION = "assembly";
const CLIP_COUNT = 48;
const CLIP_SECONDS = 5;
const CROSSFADE_SECONDS = 0.5;
const RUNS = 3;
const WASM_NORMALIZE_CLIPS = 3;
const SEED = 20_240_601;
const PROFILE = profileForAspect("16:9", 24);
/** Set to 1 to also run the full re-encode on wasm (single-threaded: many minutes). */
const WASM_FULL_ENV = "KADR_BENCH_WASM_FULL";
const SAMPLE_INTERVAL_MS = 20;

type Backend = "native" | "wasm";

interface Measured {
  seconds: number;
  /** Peak memory in MB (NaN when it could not be sampled). */
  peakMb: number;
}

interface Inputs {
  dir: string;
  clips: AssemblyClip[];
  narrationPath: string;
  captions: string[];
  totalSeconds: number;
  /** Seconds each normalizeClip call took (native, 2 at a time). */
  normalizeSeconds: number[];
}

/** Runs the section; every failure to measure becomes an ok: false row naming why. */
export async function runAssemblyBench(): Promise<BenchRow[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "kadr-bench-assembly-"));
  try {
    const inputs = await prepareInputs(dir);
    const rows = [
      row(
        "normalize_native_s_per_clip",
        median(inputs.normalizeSeconds),
        "s",
        "",
        true,
        `median of ${CLIP_COUNT} clips, ${availableParallelism()} at a time; 720p sources with mixed x264 settings, 4.8–5.3 s`,
      ),
      ...(await normalizeWasmRows(inputs)),
    ];
    for (const backend of ["native", "wasm"] as const) rows.push(...(await assemblyRows(inputs, backend)));
    rows.push(...(await musicRows(inputs)));
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sources with provider-like settings, normalized (timed), narration, captions. */
async function prepareInputs(dir: string): Promise<Inputs> {
  const random = mulberry32(SEED);
  const sources = Array.from({ length: CLIP_COUNT }, (_, index) => providerClip(dir, index, random));
  await mapLimit(sources, availableParallelism(), (source) => renderSource(source));
  const normalizeSeconds: number[] = [];
  const clips = await mapLimit(sources, availableParallelism(), async (source, index) => {
    const outPath = path.join(dir, `clip-${index}.mp4`);
    const start = performance.now();
    await normalizeClip({ inputPath: source.path, outPath, seconds: CLIP_SECONDS, profile: PROFILE });
    normalizeSeconds.push((performance.now() - start) / 1000);
    return { path: outPath, seconds: CLIP_SECONDS, section: sectionOf(index) };
  });
  const totalSeconds = timelineSeconds(clips, CROSSFADE_SECONDS);
  const narrationPath = path.join(dir, "narration.m4a");
  const speech = await speechStandIns(dir);
  await encodeNarration({
    cues: narrationCues(
      clips.map((_, index) => speech[index % speech.length]!),
      clips,
      CROSSFADE_SECONDS,
    ),
    totalSeconds,
    outPath: narrationPath,
    profile: PROFILE,
  });
  const captions = clips.map((_, index) => captionText(index, random));
  return { dir, clips, narrationPath, captions, totalSeconds, normalizeSeconds };
}

interface ProviderClip {
  path: string;
  seconds: number;
  args: string[];
  withAudio: boolean;
  hue: number;
}

/** One source clip's settings: length, x264 preset/CRF/B-frames/profile/GOP, audio or not, hue. */
function providerClip(dir: string, index: number, random: () => number): ProviderClip {
  const pick = <T>(choices: readonly T[]) => choices[Math.floor(random() * choices.length)]!;
  // biome-ignore format: one option/value pair per line
  const args = [
    "-c:v", "libx264",
    "-preset", pick(["ultrafast", "superfast", "veryfast"]),
    "-crf", String(18 + Math.floor(random() * 12)),
    "-bf", String(Math.floor(random() * 4)),
    "-profile:v", pick(["main", "high"]),
    "-g", String(pick([24, 48, 120, 250])),
    "-pix_fmt", "yuv420p",
  ];
  return {
    path: path.join(dir, `source-${index}.mp4`),
    seconds: pick([4.8, 5, 5, 5.3]),
    args,
    withAudio: random() < 0.5,
    hue: Math.floor(random() * 360),
  };
}

async function renderSource(clip: ProviderClip): Promise<void> {
  // biome-ignore format: one option/value pair per line
  const args = [
    "-f", "lavfi", "-i", `testsrc2=size=1280x720:rate=24,hue=h=${clip.hue}`,
    ...(clip.withAudio ? ["-f", "lavfi", "-i", `sine=frequency=${200 + clip.hue}:sample_rate=44100`] : []),
    "-t", String(clip.seconds),
    ...clip.args,
    ...(clip.withAudio ? ["-c:a", "aac"] : []),
    clip.path,
  ];
  await runFfmpeg(args, { inputs: [], outputs: [clip.path] });
}

/** Sections in the ratio 1:2:1 (12 intro, 24 main, 12 outro). */
function sectionOf(index: number): Section {
  if (index < CLIP_COUNT / 4) return "intro";
  return index < (CLIP_COUNT * 3) / 4 ? "main" : "outro";
}

/** Six 3.5 s tones standing in for speech (22.05 kHz mono WAV, like espeak-ng's). */
async function speechStandIns(dir: string): Promise<string[]> {
  return Promise.all(
    [220, 262, 294, 330, 349, 392].map(async (frequency) => {
      const file = path.join(dir, `speech-${frequency}.wav`);
      await runFfmpeg(
        [
          "-f",
          "lavfi",
          "-i",
          `sine=frequency=${frequency}:sample_rate=22050`,
          "-t",
          "3.5",
          "-c:a",
          "pcm_s16le",
          file,
        ],
        { inputs: [], outputs: [file] },
      );
      return file;
    }),
  );
}

const WORDS = ["river", "city", "light", "winter", "market", "bridge", "story", "night", "harbour", "music"];

function captionText(index: number, random: () => number): string {
  const words = Array.from(
    { length: 8 + Math.floor(random() * 6) },
    () => WORDS[Math.floor(random() * WORDS.length)],
  );
  return `${index + 1}. ${words.join(" ")}.`;
}

async function normalizeWasmRows(inputs: Inputs): Promise<BenchRow[]> {
  const seconds: number[] = [];
  for (const [index, clip] of inputs.clips.slice(0, WASM_NORMALIZE_CLIPS).entries()) {
    const source = path.join(inputs.dir, `source-${index}.mp4`);
    const outPath = path.join(inputs.dir, `wasm-normalized-${index}.mp4`);
    const start = performance.now();
    await withBackend("wasm", () =>
      normalizeClip({ inputPath: source, outPath, seconds: clip.seconds, profile: PROFILE }),
    );
    seconds.push((performance.now() - start) / 1000);
  }
  return [
    row(
      "normalize_wasm_s_per_clip",
      median(seconds),
      "s",
      "",
      true,
      `median of the first ${WASM_NORMALIZE_CLIPS} clips, one at a time`,
    ),
  ];
}

/**
 * (a), (b), (c) on one backend: seconds, peak memory, ratios. (a) is measured twice: cold (the
 * transition windows rendered inside assembleVideo) and with the windows rendered beforehand by
 * prerenderTransitions (what the pipeline can do while the narration is synthesized).
 */
async function assemblyRows(inputs: Inputs, backend: Backend): Promise<BenchRow[]> {
  const note = `${CLIP_COUNT} x ${CLIP_SECONDS} s 1280x720 24 fps + ${Math.round(inputs.totalSeconds)} s narration + ${CLIP_COUNT} captions`;
  const common = {
    clips: inputs.clips,
    narrationPath: inputs.narrationPath,
    crossfadeSeconds: CROSSFADE_SECONDS,
    profile: PROFILE,
    captions: inputs.captions,
  };
  const cold = await measureSmart(inputs, backend, common);
  const cacheDirs = Array.from({ length: RUNS }, (_, run) =>
    path.join(inputs.dir, `windows-${backend}-${run}`),
  );
  const prerender = await repeat(RUNS, backend, async (run) => {
    await prerenderTransitions({ ...common, transitionCacheDir: cacheDirs[run]! });
  });
  const warm = await measureSmart(inputs, backend, { ...common, transitionCacheDir: cacheDirs[0] });
  const floor = await repeat(RUNS, backend, () =>
    plainConcat(inputs, path.join(inputs.dir, `floor-${backend}.mp4`)),
  );
  const secondsGoal = backend === "native" ? "<= 2" : "";
  const withinSeconds = (seconds: number) => backend === "wasm" || seconds <= 2;
  const rows = [
    row(
      `smart_${backend}_s`,
      cold.seconds,
      "s",
      secondsGoal,
      cold.ok && withinSeconds(cold.seconds),
      `(a) ${note}; transition windows rendered inside; median of ${RUNS}; ${cold.detail}`,
    ),
    memoryRow(`smart_${backend}_peak_mb`, cold, backend),
    row(
      `smart_over_floor_${backend}`,
      cold.seconds / floor.seconds,
      "x",
      "<= 1.5",
      cold.seconds / floor.seconds <= 1.5,
      "a / c, cold",
    ),
    row(
      `prerender_transitions_${backend}_s`,
      prerender.seconds,
      "s",
      "",
      true,
      `the 2 section crossfade windows rendered ahead (the pipeline can overlap this with narration); median of ${RUNS}`,
    ),
    row(
      `smart_prerendered_${backend}_s`,
      warm.seconds,
      "s",
      secondsGoal,
      warm.ok && withinSeconds(warm.seconds),
      `(a) with the windows rendered ahead: mux only; median of ${RUNS}; ${warm.detail}`,
    ),
    memoryRow(`smart_prerendered_${backend}_peak_mb`, warm, backend),
    row(
      `smart_prerendered_over_floor_${backend}`,
      warm.seconds / floor.seconds,
      "x",
      "<= 1.5",
      warm.seconds / floor.seconds <= 1.5,
      "a / c, windows rendered ahead",
    ),
    row(
      `floor_${backend}_s`,
      floor.seconds,
      "s",
      "",
      true,
      `(c) concat demuxer + narration mux, stream copy, no transitions, no captions; median of ${RUNS}`,
    ),
    memoryRow(`floor_${backend}_peak_mb`, floor, backend),
  ];
  if (backend === "wasm" && process.env[WASM_FULL_ENV] !== "1") {
    rows.push(
      row(
        "full_wasm_s",
        0,
        "s",
        "",
        false,
        `skipped: one single-threaded wasm encode of the whole ${Math.round(inputs.totalSeconds)} s at 720p takes many minutes; set ${WASM_FULL_ENV}=1 to run it`,
      ),
    );
    return rows;
  }
  const full = await repeat(1, backend, async () => {
    await assembleFull({ ...common, outPath: path.join(inputs.dir, `full-${backend}.mp4`) });
  });
  const ratio = cold.seconds / full.seconds;
  rows.push(
    row(
      `full_${backend}_s`,
      full.seconds,
      "s",
      "",
      true,
      "(b) one filter graph (concat + xfade), everything re-encoded; 1 run (it is the slow one)",
    ),
    memoryRow(`full_${backend}_peak_mb`, full, backend),
    row(
      `smart_over_full_${backend}`,
      ratio,
      "x",
      "<= 0.033",
      ratio <= 1 / 30,
      `a / b, cold: smart is ${(1 / ratio).toFixed(0)}x faster`,
    ),
  );
  return rows;
}

/**
 * The same smart assembly (native, windows rendered ahead) with Kadr's default music bed under the
 * narration: the audio is re-mixed, ducked, normalized to -16 LUFS (measuring passes) and encoded
 * as AAC while the video is stream-copied. Informational: the ≤ 2 s goal is for the default path.
 */
async function musicRows(inputs: Inputs): Promise<BenchRow[]> {
  const cacheDir = path.join(inputs.dir, "windows-music");
  const bed = await defaultMusicBed({ outPath: path.join(inputs.dir, "music-bed.wav") });
  const options = {
    clips: inputs.clips,
    narrationPath: inputs.narrationPath,
    crossfadeSeconds: CROSSFADE_SECONDS,
    profile: PROFILE,
    captions: inputs.captions,
    transitionCacheDir: cacheDir,
    music: { path: bed.path },
  };
  await withBackend("native", () => prerenderTransitions(options));
  const measured = await measureSmart(inputs, "native", options);
  const outPath = path.join(inputs.dir, "smart-native.mp4");
  const lufs = (await analyzeAudio(outPath)).integratedLufs;
  return [
    row(
      "smart_music_native_s",
      measured.seconds,
      "s",
      "",
      measured.ok && Math.abs(lufs - -16) <= 1,
      `(a) with the default music bed, windows rendered ahead: audio re-mixed, ducked, two-pass normalized and AAC-encoded, video copied; output ${lufs} LUFS (target -16); median of ${RUNS}; ${measured.detail}`,
    ),
  ];
}

/** assembleVideo RUNS times; ok when it stayed smart and the file has the timeline's length. */
async function measureSmart(
  inputs: Inputs,
  backend: Backend,
  options: Omit<AssembleOptions, "outPath">,
): Promise<Measured & { ok: boolean; detail: string }> {
  const outPath = path.join(inputs.dir, `smart-${backend}.mp4`);
  let fallbackReason: string | undefined;
  const measured = await repeat(RUNS, backend, async () => {
    const result = await assembleVideo({ ...options, outPath });
    fallbackReason = result.mode === "smart" ? undefined : result.fallbackReason;
  });
  const seconds = (await probeMedia(outPath)).durationSeconds;
  const ok = fallbackReason === undefined && Math.abs(seconds - inputs.totalSeconds) < 0.05;
  const detail = fallbackReason
    ? `fell back to full: ${fallbackReason}`
    : `output ${seconds.toFixed(3)} s, timeline ${inputs.totalSeconds} s`;
  return { ...measured, ok, detail };
}

/** (c): the normalized clips joined by the concat demuxer, narration muxed, all stream-copied. */
async function plainConcat(inputs: Inputs, outPath: string): Promise<void> {
  const listPath = path.join(inputs.dir, "plain.ffconcat");
  const files = inputs.clips.map((clip) => clip.path);
  await writeFile(listPath, `ffconcat version 1.0\n${files.map((file) => `file '${file}'\n`).join("")}`);
  // biome-ignore format: one option/value pair per line
  const args = [
    "-f", "concat", "-safe", "0", "-i", listPath,
    "-i", inputs.narrationPath,
    "-map", "0:v:0", "-map", "1:a:0",
    "-c", "copy",
    "-f", "mp4", "-movflags", "+faststart",
    outPath,
  ];
  await runFfmpeg(args, { inputs: [listPath, ...files, inputs.narrationPath], outputs: [outPath] });
}

/** Runs `task` `runs` times on `backend`; median seconds and median peak memory. */
async function repeat(
  runs: number,
  backend: Backend,
  task: (run: number) => Promise<void>,
): Promise<Measured> {
  const measured: Measured[] = [];
  for (let run = 0; run < runs; run++) {
    measured.push(await withBackend(backend, () => measure(() => task(run), backend)));
  }
  return {
    seconds: median(measured.map((sample) => sample.seconds)),
    peakMb: median(measured.map((sample) => sample.peakMb)),
  };
}

async function measure(task: () => Promise<void>, backend: Backend): Promise<Measured> {
  const baselineRss = process.memoryUsage.rss();
  let peakBytes = 0;
  const sample = () => {
    const bytes = backend === "native" ? childrenPeakRssBytes() : process.memoryUsage.rss() - baselineRss;
    peakBytes = Math.max(peakBytes, bytes);
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  const start = performance.now();
  try {
    await task();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - start) / 1000;
  return { seconds, peakMb: hasProcFs() ? peakBytes / 2 ** 20 : Number.NaN };
}

/** Σ VmHWM of this process's live children, in bytes (0 without /proc). */
function childrenPeakRssBytes(): number {
  if (!hasProcFs()) return 0;
  let total = 0;
  for (const thread of readdirSync(`/proc/${process.pid}/task`)) {
    const children = readProc(`/proc/${process.pid}/task/${thread}/children`)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    for (const child of children) {
      const match = /VmHWM:\s+(\d+) kB/.exec(readProc(`/proc/${child}/status`));
      if (match) total += Number(match[1]) * 1024;
    }
  }
  return total;
}

/** A /proc file's text, or "" when the process ended meanwhile. */
function readProc(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function hasProcFs(): boolean {
  return readProc(`/proc/${process.pid}/status`) !== "";
}

function memoryRow(name: string, measured: Measured, backend: Backend): BenchRow {
  if (Number.isNaN(measured.peakMb))
    return row(name, 0, "MB", "", false, "no /proc on this machine: memory not sampled");
  const how =
    backend === "native"
      ? "Σ peak RSS (VmHWM) of the live ffmpeg processes, sampled every 20 ms"
      : "growth of this process's RSS (wasm workers), sampled every 20 ms";
  return row(name, measured.peakMb, "MB", "", true, how);
}

async function withBackend<T>(backend: Backend, task: () => Promise<T>): Promise<T> {
  const saved = process.env.KADR_FFMPEG;
  process.env.KADR_FFMPEG = backend;
  try {
    return await task();
  } finally {
    if (saved === undefined) delete process.env.KADR_FFMPEG;
    else process.env.KADR_FFMPEG = saved;
  }
}

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++)
      results[index] = await fn(items[index]!, index);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Deterministic PRNG in [0, 1) (mulberry32). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function row(name: string, value: number, unit: string, goal: string, ok: boolean, note: string): BenchRow {
  return { section: SECTION, name, value, unit, goal, ok, note };
}
