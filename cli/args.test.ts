import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCliArgs, UsageError } from "./args";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-args-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

function problem(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
}

describe("parseCliArgs", () => {
  it("accepts a topic with options and applies defaults", () => {
    const cmd = parseCliArgs(["Как варят кофе", "--segments", "10", "--yes", "--json"]);
    expect(cmd).toMatchObject({
      kind: "create",
      yes: true,
      json: true,
      input: { topic: "Как варят кофе", segmentCount: 10, segmentSeconds: 5, aspect: "16:9" },
    });
  });

  it("reads a script file", () => {
    const p = file("script.txt", "First paragraph.\n\nSecond paragraph here.\n");
    const cmd = parseCliArgs(["--script-file", p, "--segments", "3", "--lang", "en", "--aspect", "9:16"]);
    expect(cmd).toMatchObject({
      kind: "create",
      input: { scriptText: expect.stringContaining("Second"), aspect: "9:16" },
    });
  });

  it.each([
    [[""], /topic is empty/],
    [["   \t "], /topic is empty/],
    [["x".repeat(2001)], /longer than 2000 characters/],
    [["t", "--segments", "0"], /segments must be between 1 and 60/],
    [["t", "--segments", "61"], /segments must be between 1 and 60/],
    [["t", "--segments", "2.5"], /--segments must be a whole number/],
    [["t", "--segments", "ten"], /--segments must be a whole number/],
    [["t", "--segment-seconds", "1"], /segment seconds must be between 2 and 10/],
    [["t", "--segment-seconds", "11"], /segment seconds must be between 2 and 10/],
    [["t", "--aspect", "4:3"], /Unknown aspect "4:3"/],
    [["t", "--lang", "de"], /Unknown language "de"/],
    [["t", "--bogus"], /Unknown option '--bogus'/],
    [[], /Give a topic or --script-file/],
    [["--resume", "../etc"], /Not a job id/],
  ])("rejects %j", (argv, message) => {
    expect(problem(argv as string[])).toMatch(message);
  });

  it("parses --extend with a trimmed prompt", () => {
    expect(
      parseCliArgs(["--extend", "abcDEF123_-x", "  One more scene.  ", "--json", "--out", "x.mp4"]),
    ).toEqual({
      kind: "extend",
      parentJobId: "abcDEF123_-x",
      prompt: "One more scene.",
      yes: false,
      json: true,
      out: "x.mp4",
    });
  });

  it.each([
    [["--extend", "abc"], /Give the new segment's prompt after --extend abc/],
    [["--extend", "abc", "   "], /The prompt is empty/],
    [["--extend", "abc", "x".repeat(1001)], /The prompt is longer than 1000 characters/],
    [["--extend", "abc", "one", "two"], /Give the prompt as one argument/],
    [["--extend", "../etc", "more"], /Not a job id/],
    [["--extend", "abc", "more", "--segments", "3"], /--extend takes only a prompt .*drop --segments/],
    [["--extend", "abc", "more", "--resume", "abc"], /drop --resume/],
  ])("rejects extend %j", (argv, message) => {
    expect(problem(argv as string[])).toMatch(message);
  });

  it("rejects missing, empty, binary, non-UTF-8 and oversized script files", () => {
    expect(problem(["--script-file", path.join(dir, "missing.txt")])).toMatch(/Script file not found/);
    expect(problem(["--script-file", file("empty.txt", "  \n\n")])).toMatch(/Script file is empty/);
    expect(problem(["--script-file", file("bin.dat", Buffer.from([0x89, 0x50, 0x00, 0x01]))])).toMatch(
      /binary/,
    );
    expect(problem(["--script-file", file("latin1.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9]))])).toMatch(
      /not UTF-8/,
    );
    expect(problem(["--script-file", file("long.txt", "word ".repeat(10_001))])).toMatch(
      /longer than 50000 characters/,
    );
    expect(problem(["--script-file", dir])).toMatch(/not a regular file/);
  });
});
