import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseInUseError, openDb } from "./index";
import { testDbKind } from "./testing";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-lock-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const describePglite = testDbKind() === "pglite" ? describe : describe.skip;

describePglite("embedded database lock", () => {
  it("refuses a second live process, takes over a dead one's lock, and unlocks on close", async () => {
    const dataDir = path.join(tmp, "pglite");
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(`${dataDir}.lock`, String(sleeper.pid));
    await expect(openDb({ dataDir })).rejects.toThrow(DatabaseInUseError);
    await expect(openDb({ dataDir })).rejects.toThrow(`open in another process (pid ${sleeper.pid})`);
    sleeper.kill("SIGKILL");
    await new Promise((r) => sleeper.on("close", r));

    const handle = await openDb({ dataDir });
    expect(fs.readFileSync(`${dataDir}.lock`, "utf8")).toBe(String(process.pid));
    await handle.close();
    expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
  });
});
