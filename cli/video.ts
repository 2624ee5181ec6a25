/**
 * `npm run video` — the main job from a terminal. It goes through the same events, Inngest
 * functions and embedded executor as the web app: it creates the job (video/job.created), follows
 * its progress from the database, answers the approval gates (asking, or `--yes`), and copies the
 * final MP4 to `--out`. The first line on stderr is `job <id>`.
 *
 * `--extend <jobId> "<prompt>"` asks for an extension of a finished job (lib/studio/extend.ts) and
 * follows the new job the same way (it has no gates); the new MP4 goes to `--out`. An unknown or
 * unfinished job, or an empty prompt, exits 2 with one message.
 *
 * Invalid configuration exits 2 before anything starts: the message lists every missing setting of
 * the selected providers and storage (lib/startup-check.ts), or the invalid variables (lib/env.ts).
 */
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline/promises";
import { inngest } from "@/inngest/client";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { Gate, JobStatus } from "@/lib/db/schema";
import { ConfigError, loadEnv } from "@/lib/env";
import { AppError, isClientError } from "@/lib/errors";
import { getRuntime, type Runtime } from "@/lib/runtime";
import { assertStartupSettings } from "@/lib/startup-check";
import { requestExtension } from "@/lib/studio/extend";
import {
  approveGate,
  cancelJob,
  createJob,
  ensureLocalOwner,
  getJob,
  getJobView,
  isJobOpen,
  type JobView,
  type RegenerationTarget,
  requestRegeneration,
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

  try {
    loadEnv();
    assertStartupSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kadr: ${err.message}\n`);
      return 2;
    }
    throw err;
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
  if (command.kind === "extend") {
    const known = await getJob(db, command.parentJobId).catch(() => null);
    if (!known) return usageFailure(rt, `No job ${command.parentJobId} to extend`);
    if (known.status !== "completed") {
      return usageFailure(
        rt,
        `Job ${command.parentJobId} is ${known.status.replaceAll("_", " ")}: only a finished video can be extended`,
      );
    }
  }
  // With KADR_ENGINE=inngest a real Inngest server runs the functions through the web app's
  // /api/inngest route; the CLI then only starts the job and follows it in the shared database.
  const executor = loadEnv().KADR_ENGINE === "embedded" ? await startEmbeddedEngine({ db }) : null;
  try {
    if (command.kind === "create" || command.kind === "extend") {
      const ownerId = await ensureLocalOwner(db);
      try {
        jobId =
          command.kind === "create"
            ? (await createJob(deps, ownerId, command.input)).id
            : (await requestExtension(deps, ownerId, command.parentJobId, { prompt: command.prompt }, "cli"))
                .id;
      } catch (err) {
        if (isClientError(err)) {
          process.stderr.write(`kadr: ${err.message}\n`);
          return 2;
        }
        throw err;
      }
    }
    process.stderr.write(`job ${jobId!}\n`);
    return await follow(rt, deps, jobId!, command);
  } finally {
    await executor?.stop();
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
      const decision = command.yes ? "approve" : await askAtGate(deps, view, gate, rt);
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

/**
 * Asks at a gate in the terminal: approve, cancel, or (at the images and clips gates) regenerate a
 * segment and ask again once the new take is ready.
 */
async function askAtGate(
  deps: StudioDeps,
  view: JobView,
  gate: Gate,
  rt: Runtime,
): Promise<"approve" | "cancel"> {
  const out = process.stderr;
  if (!process.stdin.isTTY) {
    out.write(
      `kadr: ${gate} approval needed but stdin is not a terminal; pass --yes to approve every gate\n`,
    );
    return "cancel";
  }
  const target: RegenerationTarget | null = gate === "images" ? "image" : gate === "clips" ? "clip" : null;
  const rl = readline.createInterface({ input: process.stdin, output: out });
  try {
    for (;;) {
      describeGate(await getJobView(deps.db, view.job.id), gate, rt);
      const choices = target ? "[a]pprove / [r N] regenerate segment N / [c]ancel" : "[a]pprove / [c]ancel";
      const answer = (await rl.question(`Approve ${gate}? ${choices}: `)).trim().toLowerCase();
      if (["a", "approve", "y", "yes"].includes(answer)) return "approve";
      if (["c", "cancel", "n", "no"].includes(answer)) return "cancel";
      const regenerate = /^r(?:egenerate)?\s+(\d+)$/.exec(answer);
      if (target && regenerate) {
        const index = Number(regenerate[1]) - 1;
        try {
          await requestRegeneration(deps, view.job.id, index, target, "cli");
          out.write(`Regenerating the ${target} of segment ${index + 1}…\n`);
          await waitForSegment(deps, view.job.id, index, target);
        } catch (err) {
          if (!isClientError(err)) throw err;
          out.write(`kadr: ${err.message}\n`);
        }
      }
    }
  } finally {
    rl.close();
  }
}

/** Prints what the user is asked to approve: the script, or the segments with their media files. */
function describeGate(view: JobView, gate: Gate, rt: Runtime): void {
  const out = process.stderr;
  if (gate === "script" && view.job.script) {
    const { intro, main, outro } = view.job.script.sections;
    out.write(`\n— Script: ${view.job.script.title}\n[intro] ${intro}\n[main] ${main}\n[outro] ${outro}\n`);
    return;
  }
  out.write(`\n— ${gate}:\n`);
  for (const s of view.segments) {
    const key = gate === "images" ? s.imageStorageKey : s.clipStorageKey;
    out.write(`  #${s.index + 1} [${s.section}] ${s.caption}${key ? `  ${rt.store.pathOf(key)}` : ""}\n`);
  }
}

async function waitForSegment(deps: StudioDeps, jobId: string, index: number, target: RegenerationTarget) {
  for (;;) {
    const segment = (await getJobView(deps.db, jobId)).segments[index];
    const status = target === "image" ? segment?.imageStatus : segment?.clipStatus;
    if (status === "ready") return;
    if (status === "failed")
      throw new AppError("conflict", `The new ${target} of segment ${index + 1} failed`);
    await sleep(200);
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
  await fs.promises.copyFile(await rt.store.localPath(asset.storageKey), output);
  const summary = {
    jobId: view.job.id,
    ...(view.job.parentJobId ? { parentJobId: view.job.parentJobId } : {}),
    output,
    durationSeconds: asset.durationSeconds,
    segments: view.segments.length,
    width: asset.width,
    height: asset.height,
    totalSeconds: Math.round(totalSeconds * 10) / 10,
    cost: view.cost,
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
