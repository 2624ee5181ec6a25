/**
 * The main job end to end, as a user runs it: `npm run video` in a child process with its own data
 * directory, then the output is checked with ffprobe and the database is read back.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { grant } from "@/lib/credits/ledger";
import { insertJob } from "@/lib/credits/test-fixtures";
import { openDb } from "@/lib/db";
import { approvals, assets, engineSteps, jobs, segments } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { LOCAL_OWNER_ID } from "@/lib/studio/jobs";

const root = path.resolve(import.meta.dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(root, "cli/video.ts"), ...args], {
    cwd: root,
    env: { ...process.env, KADR_TEST_DB: "", DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const runCli = (args: string[], env: Record<string, string> = {}) => collect(startCli(args, env));

function probe(file: string) {
  const json = execFileSync(
    "ffprobe",
    ["-v", "error", "-show_streams", "-show_format", "-of", "json", file],
    {
      encoding: "utf8",
    },
  );
  const info = JSON.parse(json) as {
    streams: {
      codec_type: string;
      codec_name: string;
      width?: number;
      height?: number;
      sample_rate?: string;
    }[];
    format: { duration: string };
  };
  return {
    duration: Number(info.format.duration),
    video: info.streams.find((s) => s.codec_type === "video"),
    audio: info.streams.find((s) => s.codec_type === "audio"),
  };
}

/** Mean volume in dBFS of the audio between `from` and `to` seconds (ffmpeg volumedetect). */
function meanVolume(file: string, from: number, to: number): number {
  const result = spawnSync(
    "ffmpeg",
    [
      "-hide_banner",
      "-ss",
      String(from),
      "-to",
      String(to),
      "-i",
      file,
      "-vn",
      "-af",
      "volumedetect",
      "-f",
      "null",
      "-",
    ],
    { encoding: "utf8" },
  );
  const match = /mean_volume:\s*(-?[\d.]+) dB/.exec(result.stderr);
  return match ? Number(match[1]) : Number.NEGATIVE_INFINITY;
}

/** Where the CLI keeps its database in this test run: PGlite under the data dir, or a PostgreSQL URL. */
function databaseOf(dataDir: string): { env: Record<string, string>; open: () => ReturnType<typeof openDb> } {
  const url = pgUrls.get(dataDir);
  if (url) return { env: { DATABASE_URL: url }, open: () => openDb({ url }) };
  return { env: {}, open: () => openDb({ dataDir: path.join(dataDir, "pglite") }) };
}

async function readBack(dataDir: string) {
  const handle = await databaseOf(dataDir).open();
  try {
    const db = handle.db;
    return {
      jobs: await db.select().from(jobs),
      segments: await db.select().from(segments),
      assets: await db.select().from(assets),
      approvals: await db.select().from(approvals),
      steps: await db.select().from(engineSteps),
    };
  } finally {
    await handle.close();
  }
}

/** Fresh PostgreSQL databases per data dir when the suite runs against PostgreSQL. */
const pgUrls = new Map<string, string>();
const pgHandles: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const handle of pgHandles) await handle.close();
});

async function dataDirFor(name: string): Promise<string> {
  const dataDir = path.join(tmp, name);
  if (testDbKind() === "postgres") {
    const handle = await openTestDb();
    pgHandles.push(handle);
    pgUrls.set(dataDir, handle.url!);
  }
  return dataDir;
}

/** The PGlite-only cases (process-level behaviour) run once, in the PGlite pass. */
const itPglite = testDbKind() === "pglite" ? it : it.skip;

describe(`npm run video (${testDbKind()})`, () => {
  it("turns a Russian topic into a narrated 16:9 MP4 and records the job", async () => {
    const dataDir = await dataDirFor("ru");
    const out = path.join(tmp, "ru.mp4");
    const result = await runCli(
      ["Как варят кофе", "--segments", "3", "--segment-seconds", "3", "--yes", "--json", "--out", out],
      { KADR_DATA_DIR: dataDir, ...databaseOf(dataDir).env },
    );
    expect(result.code, result.stderr).toBe(0);
    const firstLine = result.stderr.split("\n")[0];
    expect(firstLine).toMatch(/^job [A-Za-z0-9_-]{12}$/);
    const summary = JSON.parse(result.stdout.trim());
    expect(summary).toMatchObject({ output: out, segments: 3, width: 1280, height: 720 });
    expect(firstLine).toBe(`job ${summary.jobId}`);

    const media = probe(out);
    expect(media.video).toMatchObject({ codec_name: "h264", width: 1280, height: 720 });
    expect(media.audio).toMatchObject({ codec_name: "aac" });
    // 3 segments × 3 s minus two section crossfades of 0.5 s.
    expect(media.duration).toBeGreaterThan(8 - 0.25);
    expect(media.duration).toBeLessThan(8 + 0.25);
    expect(meanVolume(out, 0.2, 2.5)).toBeGreaterThan(-45);

    const db = await readBack(dataDir);
    expect(db.jobs).toHaveLength(1);
    expect(db.jobs[0]).toMatchObject({ status: "completed", language: "ru", segmentCount: 3 });
    expect(db.segments).toHaveLength(3);
    expect(db.segments.every((s) => s.imageAssetId && s.clipAssetId && s.narrationAssetId)).toBe(true);
    expect(db.approvals.map((a) => a.gate).sort()).toEqual(["clips", "images", "script"]);
    expect(db.assets.filter((a) => a.kind === "video")).toHaveLength(1);
    // Every step of the run once, waits named after their steps, each gate opened by one step.
    const names = db.steps.map((step) => step.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "open-script-gate",
        "wait-script-approval",
        "open-images-gate",
        "wait-images-approval",
        "open-clips-gate",
        "wait-clips-approval",
        "prerender-transitions",
        "assemble",
      ]),
    );
  });

  itPglite("exits 2 with a clear message and leaves nothing behind on bad input", async () => {
    const dataDir = path.join(tmp, "bad");
    const cases: [string[], RegExp][] = [
      [["  "], /topic is empty/],
      [["topic", "--segments", "99"], /segments must be between 1 and 60/],
      [["topic", "--aspect", "4:3"], /Unknown aspect/],
      [["--script-file", path.join(tmp, "nope.txt")], /Script file not found/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { KADR_DATA_DIR: dataDir });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  itPglite("exits 2 naming every missing provider setting, before it opens a database", async () => {
    const dataDir = path.join(tmp, "missing-settings");
    const result = await runCli(["topic", "--yes"], {
      KADR_DATA_DIR: dataDir,
      KADR_LLM: "openai",
      OPENAI_API_KEY: "sk-test-s3cr3t-cli-0001",
      KADR_IMAGE: "local",
      KADR_VIDEO: "runway",
      RUNWAYML_API_SECRET: "",
      KADR_TTS: "local",
      KADR_STORAGE: "supabase",
      SUPABASE_URL: "",
      SUPABASE_SERVICE_ROLE_KEY: "",
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(
      [
        "kadr: Kadr cannot start: fix these settings of the selected providers (README, Configuration), or choose other providers:",
        "- RUNWAYML_API_SECRET is not set (needed by KADR_VIDEO=runway)",
        "- SUPABASE_URL is not set (needed by KADR_STORAGE=supabase)",
        "- SUPABASE_SERVICE_ROLE_KEY is not set (needed by KADR_STORAGE=supabase)",
        "",
      ].join("\n"),
    );
    expect(result.stderr).not.toContain("s3cr3t");
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  itPglite("refuses to resume an unknown job and stores nothing", async () => {
    const dataDir = path.join(tmp, "resume-unknown");
    const result = await runCli(["--resume", "NoSuchJob123"], { KADR_DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No job NoSuchJob123 to resume/);
    const db = await readBack(dataDir);
    expect(db.jobs).toHaveLength(0);
    expect(fs.existsSync(path.join(dataDir, "media"))).toBe(false);
  });

  itPglite("resumes a job killed while clips were being made, without redoing images", async () => {
    const dataDir = path.join(tmp, "resume");
    const out = path.join(tmp, "resumed.mp4");
    const script = path.join(tmp, "script-en.txt");
    fs.writeFileSync(
      script,
      "Lighthouses guided ships for centuries.\n\nEach tower had its own light pattern. Keepers trimmed the wicks every night. " +
        "Storms tested every lens and every keeper.\n\nToday most lights run by themselves.\n",
    );
    const child = startCli(["--script-file", script, "--segments", "6", "--segment-seconds", "2", "--yes"], {
      KADR_DATA_DIR: dataDir,
    });
    const closed = new Promise((resolve) => child.on("close", resolve));
    const killed = await new Promise<string>((resolve, reject) => {
      let stderr = "";
      child.stderr?.on("data", (d) => {
        stderr += d;
        if (/clips\s+[1-4]\/6/.test(stderr)) {
          child.kill("SIGKILL");
          resolve(stderr);
        }
      });
      void closed.then(() => reject(new Error(`CLI ended before clips:\n${stderr}`)));
    });
    await closed;
    const jobId = /^job (\S+)/.exec(killed)![1]!;
    const before = await readBack(dataDir);
    const images = before.assets.filter((a) => a.kind === "image");
    expect(images).toHaveLength(6);
    const imageStat = images.map((a) => fs.statSync(path.join(dataDir, "media", a.storageKey)).mtimeMs);

    const result = await runCli(["--resume", jobId, "--yes", "--json", "--out", out], {
      KADR_DATA_DIR: dataDir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split("\n")[0]).toBe(`job ${jobId}`);
    const after = await readBack(dataDir);
    const imagesAfter = after.assets.filter((a) => a.kind === "image");
    expect(imagesAfter.map((a) => [a.id, a.sha256, a.createdAt.getTime()])).toEqual(
      images.map((a) => [a.id, a.sha256, a.createdAt.getTime()]),
    );
    expect(imagesAfter.map((a) => fs.statSync(path.join(dataDir, "media", a.storageKey)).mtimeMs)).toEqual(
      imageStat,
    );
    const renderSteps = after.steps.filter((s) => s.name?.startsWith("render-image-"));
    expect(renderSteps).toHaveLength(6);
    expect(renderSteps.every((s) => s.attempts === 1)).toBe(true);
    expect(after.jobs[0]?.status).toBe("completed");
    // 6 × 2 s minus two crossfades.
    expect(Math.abs(probe(out).duration - 11)).toBeLessThan(0.25);

    const again = await runCli(["--resume", jobId], { KADR_DATA_DIR: dataDir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already completed/);
  });

  itPglite(
    "extends a finished job's video by one segment as a new job, and refuses bad extensions",
    async () => {
      const dataDir = path.join(tmp, "extend");
      const env = { KADR_DATA_DIR: dataDir };
      const first = await runCli(
        [
          "Paper boats",
          "--segments",
          "2",
          "--segment-seconds",
          "2",
          "--lang",
          "en",
          "--yes",
          "--json",
          "--out",
          path.join(tmp, "boats.mp4"),
        ],
        env,
      );
      expect(first.code, first.stderr).toBe(0);
      const parent = JSON.parse(first.stdout.trim()) as { jobId: string; output: string };
      const parentSeconds = probe(parent.output).duration;
      expect(Math.abs(parentSeconds - 3.5)).toBeLessThan(0.05);
      {
        const handle = await openDb({ dataDir: path.join(dataDir, "pglite") });
        await grant(handle.db, { userId: LOCAL_OWNER_ID, amount: 100, key: "cli-extend-test" });
        await handle.close();
      }

      const out = path.join(tmp, "boats-extended.mp4");
      const result = await runCli(
        ["--extend", parent.jobId, "The boats reach the harbour.", "--json", "--out", out],
        env,
      );
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout.trim());
      expect(summary).toMatchObject({
        parentJobId: parent.jobId,
        output: out,
        segments: 1,
        width: 1280,
        height: 720,
      });
      expect(result.stderr.split("\n")[0]).toBe(`job ${summary.jobId}`);
      const media = probe(out);
      expect(media.video).toMatchObject({ codec_name: "h264", width: 1280, height: 720 });
      expect(media.audio).toMatchObject({ codec_name: "aac" });
      // The parent plus one 2 s segment minus the 0.5 s crossfade, within a frame (24 fps).
      expect(Math.abs(media.duration - (parentSeconds + 2 - 0.5))).toBeLessThanOrEqual(1 / 24);
      const db = await readBack(dataDir);
      expect(db.jobs.find((j) => j.id === summary.jobId)).toMatchObject({
        source: "extension",
        parentJobId: parent.jobId,
        topic: "The boats reach the harbour.",
        status: "completed",
      });
      expect(db.assets.filter((a) => a.kind === "video")).toHaveLength(2);

      {
        const handle = await openDb({ dataDir: path.join(dataDir, "pglite") });
        await insertJob(handle.db, LOCAL_OWNER_ID, { status: "awaiting_clips_approval" }).then(async (id) => {
          await handle.close();
          const unfinished = await runCli(["--extend", id, "More."], env);
          expect(unfinished.code).toBe(2);
          expect(unfinished.stderr.trim()).toBe(
            `kadr: Job ${id} is awaiting clips approval: only a finished video can be extended`,
          );
        });
      }
      const cases: [string[], string][] = [
        [["--extend", "NoSuchJob123", "More."], "kadr: No job NoSuchJob123 to extend"],
        [["--extend", parent.jobId, "   "], "kadr: The prompt is empty: write what the new segment says"],
        [["--extend", parent.jobId], `kadr: Give the new segment's prompt after --extend ${parent.jobId}`],
      ];
      for (const [args, message] of cases) {
        const bad = await runCli(args, env);
        expect(bad.code, args.join(" ")).toBe(2);
        expect(bad.stderr.trim()).toBe(message);
      }
      expect((await readBack(dataDir)).jobs.filter((j) => j.source === "extension")).toHaveLength(1);
    },
  );

  itPglite("completes a 9:16 job through the wasm ffmpeg when no native ffmpeg exists", async () => {
    const dataDir = path.join(tmp, "wasm");
    const out = path.join(tmp, "wasm.mp4");
    const bin = path.join(tmp, "bin-node-only");
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    const result = await runCli(
      [
        "A tiny test of the wasm path",
        "--segments",
        "3",
        "--segment-seconds",
        "2",
        "--aspect",
        "9:16",
        "--yes",
        "--json",
        "--out",
        out,
      ],
      { KADR_DATA_DIR: dataDir, FFMPEG_PATH: path.join(tmp, "no-ffmpeg-here"), PATH: bin },
    );
    expect(result.code, result.stderr).toBe(0);
    const media = probe(out);
    expect(media.video).toMatchObject({ codec_name: "h264", width: 720, height: 1280 });
    expect(media.audio).toMatchObject({ codec_name: "aac" });
    expect(Math.abs(media.duration - 5)).toBeLessThan(0.25);
  });
});
