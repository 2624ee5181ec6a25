/**
 * Argument parsing and validation for `npm run video`. Pure: no database, no files written, so a
 * rejected invocation leaves nothing behind. Every problem becomes a `UsageError` whose message
 * names it; the CLI prints it and exits with code 2.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { ExtendInputSchema } from "@/lib/studio/extend";
import {
  CreateJobInputSchema,
  describeZodError,
  MAX_SCRIPT_CHARS,
  type ValidCreateJobInput,
} from "@/lib/studio/schemas";

export const USAGE = `Usage: npm run video -- [TOPIC] [options]
       npm run video -- --extend JOB_ID "PROMPT" [--out PATH] [--json]

Turns a topic (or a script file) into a narrated MP4, stage by stage. With --extend, adds one
segment (the prompt is its narration) crossfaded onto the end of a finished job's video, as a new
job and a new MP4; the finished video is not changed.

Options:
  --script-file PATH       use this text as the script instead of writing one
  --segments N             number of segments, 1..60 (default 10)
  --segment-seconds S      seconds per segment, 2..10 (default 5)
  --aspect A               16:9 (1280x720), 9:16 (720x1280) or 1:1 (1080x1080); default 16:9
  --lang L                 ru or en (default: detected from the text)
  --yes                    approve every gate without asking
  --out PATH               where to write the MP4 (default ./kadr-<job id>.mp4)
  --resume JOB_ID          continue a job a killed process left unfinished
  --extend JOB_ID          extend a finished job's video by one segment from PROMPT
  --json                   print one JSON summary on stdout at the end
  -h, --help               show this help

Exit codes: 0 done, 1 failure, 2 bad input.`;

/** A problem with the invocation itself (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

export type CliCommand =
  | { kind: "help" }
  | { kind: "create"; input: ValidCreateJobInput; yes: boolean; out?: string; json: boolean }
  | { kind: "resume"; jobId: string; yes: boolean; out?: string; json: boolean }
  | { kind: "extend"; parentJobId: string; prompt: string; yes: boolean; out?: string; json: boolean };

/** Options that shape a new job's format, which an extension takes from its parent. */
const FORMAT_OPTIONS = ["script-file", "segments", "segment-seconds", "aspect", "lang", "resume"] as const;

const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

function parseNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `${flag} must be ${integer ? "a whole number" : "a number"}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * Reads a script file as UTF-8 text.
 * @throws UsageError when it is missing, not a file, empty, binary, not UTF-8 or too long.
 */
export function readScriptFile(filePath: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(filePath);
  } catch {
    throw new UsageError(`Script file not found: ${filePath}`);
  }
  if (!stat.isFile()) throw new UsageError(`Script file is not a regular file: ${filePath}`);
  // A UTF-8 character is at most 4 bytes: larger files cannot fit the character limit.
  if (stat.size > MAX_SCRIPT_CHARS * 4) {
    throw new UsageError(`Script file is longer than ${MAX_SCRIPT_CHARS} characters: ${filePath}`);
  }
  const bytes = fs.readFileSync(filePath);
  if (bytes.includes(0))
    throw new UsageError(`Script file looks binary (it contains NUL bytes): ${filePath}`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`Script file is not UTF-8 text: ${filePath}`);
  }
  if (!text.trim()) throw new UsageError(`Script file is empty: ${filePath}`);
  if ([...text].length > MAX_SCRIPT_CHARS) {
    throw new UsageError(`Script file is longer than ${MAX_SCRIPT_CHARS} characters: ${filePath}`);
  }
  return text;
}

/**
 * Parses and validates argv (without node and script).
 * @throws UsageError naming the first problem.
 */
export function parseCliArgs(argv: string[]): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  const common = { yes: Boolean(values.yes), out: values.out, json: Boolean(values.json) };
  if (values.extend !== undefined) {
    const given = FORMAT_OPTIONS.filter((option) => values[option] !== undefined);
    if (given.length) {
      throw new UsageError(
        `--extend takes only a prompt (and --out, --json): drop --${given.join(", --")}, the format is the parent's`,
      );
    }
    if (!JOB_ID.test(values.extend)) throw new UsageError(`Not a job id: ${JSON.stringify(values.extend)}`);
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length
          ? `Give the prompt as one argument (quote it): got ${positionals.length} arguments`
          : `Give the new segment's prompt after --extend ${values.extend}`,
      );
    }
    const input = ExtendInputSchema.safeParse({ prompt: positionals[0] });
    if (!input.success) throw new UsageError(describeZodError(input.error));
    return { kind: "extend", parentJobId: values.extend, prompt: input.data.prompt, ...common };
  }
  if (values.resume !== undefined) {
    if (positionals.length || values["script-file"]) {
      throw new UsageError("--resume takes no topic or script file: the job already has them");
    }
    if (!JOB_ID.test(values.resume)) throw new UsageError(`Not a job id: ${JSON.stringify(values.resume)}`);
    return { kind: "resume", jobId: values.resume, ...common };
  }
  if (positionals.length > 1) {
    throw new UsageError(`Give the topic as one argument (quote it): got ${positionals.length} arguments`);
  }
  const topic = positionals[0];
  const scriptFile = values["script-file"];
  if (topic !== undefined && scriptFile !== undefined)
    throw new UsageError("Give either a topic or --script-file, not both");
  if (topic === undefined && scriptFile === undefined)
    throw new UsageError(`Give a topic or --script-file\n\n${USAGE}`);
  const input = CreateJobInputSchema.safeParse({
    topic,
    scriptText: scriptFile !== undefined ? readScriptFile(scriptFile) : undefined,
    segmentCount: parseNumber("--segments", values.segments, true),
    segmentSeconds: parseNumber("--segment-seconds", values["segment-seconds"], false),
    aspect: values.aspect,
    language: values.lang,
  });
  if (!input.success) throw new UsageError(describeZodError(input.error));
  return { kind: "create", input: input.data, ...common };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      "script-file": { type: "string" },
      segments: { type: "string" },
      "segment-seconds": { type: "string" },
      aspect: { type: "string" },
      lang: { type: "string" },
      yes: { type: "boolean" },
      out: { type: "string" },
      resume: { type: "string" },
      extend: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
