/**
 * `npm run bench -- [SECTION ...]`: runs the named sections (all when none is named) and writes
 * bench/out/report.json (rows) and bench/out/report.md (table + machine facts + date).
 * A section that throws is reported as one `ok: false` row naming the error.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SECTIONS } from "./sections";
import type { BenchRow } from "./types";

function ffmpegVersion(): string {
  try {
    return execFileSync("ffmpeg", ["-version"], { encoding: "utf8" }).split("\n")[0] ?? "";
  } catch {
    return "none (wasm only)";
  }
}

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length) {
    process.stderr.write(
      `bench: unknown section ${unknown.join(", ")}; known: ${Object.keys(SECTIONS).join(", ")}\n`,
    );
    return 2;
  }
  const chosen = names.length ? names : Object.keys(SECTIONS);
  const rows: BenchRow[] = [];
  for (const name of chosen) {
    process.stderr.write(`bench: ${name}…\n`);
    try {
      rows.push(...(await SECTIONS[name]!()));
    } catch (err) {
      rows.push({ section: name, name: "error", value: 0, unit: "", goal: "", ok: false, note: String(err) });
    }
  }
  const outDir = path.resolve("bench/out");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "report.json"), `${JSON.stringify(rows, null, 2)}\n`);
  const machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${ffmpegVersion()}`;
  const table = rows.map(
    (r) =>
      `| ${r.section} | ${r.name} | ${Number(r.value.toFixed(3))} ${r.unit} | ${r.goal} | ${r.ok ? "ok" : "NO"} | ${r.note} |`,
  );
  const md = [
    `# Kadr benchmarks — ${new Date().toISOString()}`,
    "",
    `Machine: ${machine}`,
    "",
    "| section | name | value | goal | ok | note |",
    "|---|---|---|---|---|---|",
    ...table,
    "",
  ].join("\n");
  fs.writeFileSync(path.join(outDir, "report.md"), md);
  process.stdout.write(md);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
