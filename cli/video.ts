/**
 * `npm run video` — the main job from a terminal. It goes through the same events, Inngest
 * functions and embedded executor as the web app: it creates the job (video/job.created), follows
 * its progress from the database, answers the approval gates (asking, or `--yes`), and copies the
 * final MP4 to `--out`. The first line on stderr is `job <id>`.
 */
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline/promises";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { Gate, JobStatus } from "@/lib/db/schema";
import { isClientError } from "@/lib/errors";
import { getRuntime, type Runtime } from "@/lib/runtime";
import {
  approveGate,
  cancelJob,
  createJob,
  ensureLocalOwner,
  getJob,
  getJobView,
  isJobOpen,
  type JobView,
  type StudioDeps,
} from "@/lib/studio/jobs";
import { type CliCommand, parseCliArgs, USAGE, UsageError } from "./args";
import { ProgressDisplay } from "./progress";

const GATE_OF: Partial<Record<JobStatus, Gate>> = {
  awaiting_script_approval: "script",
  awaiting_images_approval: "images",
  awaiting_clips_approval: "clips",
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(argv: string[]): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kadr: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (command.kind === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const rt = await getRuntime();
  const db = rt.dbHandle.db;
  const deps: StudioDeps = { db, sendEvent: (event) => inngest.send(event) };

  let jobId: string;
  if (command.kind === "resume") {
    const known = await getJob(db, command.jobId).catch(() => null);
    if (!known) return usageFailure(rt, `No job ${command.jobId} to resume`);
    if (!(await isJobOpen(db, command.jobId))) {
      return usageFailure(rt, `Job ${command.jobId} is already ${known.status}: nothing to resume`);
    }
    jobId = command.jobId;
  }
  const executor = await startEmbeddedEngine({ db });
  try {
    if (command.kind === "create") {
      const ownerId = await ensureLocalOwner(db);
      try {
        jobId = (await createJob(deps, ownerId, command.input)).id;
      } catch (err) {
        if (isClientError(err)) {
          process.stderr.write(`kadr: ${err.message}\n`);
          return 2;
        }
        throw err;
      }
    }
    process.stderr.write(`job ${jobId!}\n`);
    return await follow(rt, deps, executor, jobId!, command);
  } finally {
    await executor.stop();
    await rt.dbHandle.close();
  }
}

async function usageFailure(rt: Runtime, message: string): Promise<number> {
  process.stderr.write(`kadr: ${message}\n`);
  await rt.dbHandle.close();
  return 2;
}

/** Follows the job to its end, answering gates; returns the exit code. */
async function follow(
  rt: Runtime,
  deps: StudioDeps,
  _executor: EmbeddedExecutor,
  jobId: string,
  command: Exclude<CliCommand, { kind: "help" }>,
): Promise<number> {
  const progress = new ProgressDisplay(process.stderr);
  const startedAt = Date.now();
  const stageSeconds: Record<string, number> = {};
  let lastStatus: JobStatus | undefined;
  let statusSince = Date.now();
  const answered = new Set<Gate>();
  for (;;) {
    const view = await getJobView(deps.db, jobId);
    const status = view.job.status;
    if (status !== lastStatus) {
      if (lastStatus)
        stageSeconds[lastStatus] = (stageSeconds[lastStatus] ?? 0) + (Date.now() - statusSince) / 1000;
      lastStatus = status;
      statusSince = Date.now();
    }
    progress.render(view);
    const gate = GATE_OF[status];
    if (gate && !answered.has(gate)) {
      answered.add(gate);
      progress.pause();
      const decision = command.yes ? "approve" : await askAtGate(view, gate, rt);
      if (decision === "cancel") {
        await cancelJob(deps, jobId, "cli");
      } else {
        await approveGate(deps, jobId, gate, "cli").catch((err) => {
          if (!isClientError(err)) throw err;
        });
      }
    }
    if (status === "completed") {
      progress.done(view);
      return finish(rt, view, command, (Date.now() - startedAt) / 1000, stageSeconds);
    }
    if (status === "failed" || status === "cancelled") {
      progress.done(view);
      process.stderr.write(`kadr: job ${jobId} ${status}${view.job.error ? `: ${view.job.error}` : ""}\n`);
      return 1;
    }
    await sleep(200);
  }
}

async function askAtGate(view: JobView, gate: Gate, rt: Runtime): Promise<"approve" | "cancel"> {
  const out = process.stderr;
  if (gate === "script" && view.job.script) {
    const { intro, main, outro } = view.job.script.sections;
    out.write(`\n— Script: ${view.job.script.title}\n[intro] ${intro}\n[main] ${main}\n[outro] ${outro}\n`);
  }
  if (gate === "images" || gate === "clips") {
    out.write(
      `\n— ${gate} are ready under ${rt.store.pathOf.length ? path.join(rt.dataDir, "media") : ""}\n`,
    );
    for (const s of view.segments) out.write(`  #${s.index + 1} [${s.section}] ${s.caption}\n`);
  }
  if (!process.stdin.isTTY) {
    out.write(
      `kadr: ${gate} approval needed but stdin is not a terminal; pass --yes to approve every gate\n`,
    );
    return "cancel";
  }
  const rl = readline.createInterface({ input: process.stdin, output: out });
  try {
    for (;;) {
      const answer = (await rl.question(`Approve ${gate}? [a]pprove / [c]ancel: `)).trim().toLowerCase();
      if (answer === "a" || answer === "approve" || answer === "y" || answer === "yes") return "approve";
      if (answer === "c" || answer === "cancel" || answer === "n" || answer === "no") return "cancel";
    }
  } finally {
    rl.close();
  }
}

async function finish(
  rt: Runtime,
  view: JobView,
  command: Exclude<CliCommand, { kind: "help" }>,
  totalSeconds: number,
  stageSeconds: Record<string, number>,
): Promise<number> {
  const asset = view.finalAsset;
  if (!asset) {
    process.stderr.write(`kadr: job ${view.job.id} completed without a video\n`);
    return 1;
  }
  const output = path.resolve(command.out ?? `kadr-${view.job.id}.mp4`);
  await fs.promises.mkdir(path.dirname(output), { recursive: true });
  await fs.promises.copyFile(rt.store.pathOf(asset.storageKey), output);
  const summary = {
    jobId: view.job.id,
    output,
    durationSeconds: asset.durationSeconds,
    segments: view.segments.length,
    width: asset.width,
    height: asset.height,
    totalSeconds: Math.round(totalSeconds * 10) / 10,
    stageSeconds: Object.fromEntries(
      Object.entries(stageSeconds).map(([k, v]) => [k, Math.round(v * 10) / 10]),
    ),
  };
  if (command.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stderr.write(
      `video ${output} (${asset.durationSeconds?.toFixed(2)} s, ${asset.width}x${asset.height})\n`,
    );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`kadr: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
