/**
 * History pagination (`GET /api/v1/jobs?before&limit`) and the credits the forms show
 * (`GET /api/v1/credits`, the 402 body of `POST /api/v1/jobs`), through the real route modules on a
 * PGlite runtime with Telegram auth.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sign } from "@tma.js/init-data-node";
import { eq, inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as getCredits } from "@/app/api/v1/credits/route";
import { POST as createJobRoute, GET as listJobs } from "@/app/api/v1/jobs/route";
import { installEmbeddedExecutor } from "@/inngest/embedded/bridge";
import { grant } from "@/lib/credits/ledger";
import { estimateJob } from "@/lib/credits/pricing";
import type { DbHandle } from "@/lib/db";
import { jobs, users } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import type { JobPageJson } from "@/lib/http/job-json";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { createJob } from "@/lib/studio/jobs";
import type { CreditsJson } from "./credits/route";

const BOT_TOKEN = "777000:KADR-test-token";
const ORIGIN = "http://127.0.0.1:3210";
let handle: DbHandle;
let runtime: Runtime;
let dataDir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  handle = await openTestDb();
  dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-history-"));
  runtime = await createRuntime({ dbHandle: handle, dataDir, policy: { limits: null } });
  setRuntime(runtime);
  installEmbeddedExecutor({
    register: async () => undefined,
    ingest: async (events) => events.map((_, i) => `event-${i}`),
  });
});

afterAll(async () => {
  installEmbeddedExecutor(undefined);
  setRuntime(undefined);
  await handle.close();
  await fs.promises.rm(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  process.env = { ...savedEnv };
});

function telegramMode(botUsername?: string) {
  process.env.TELEGRAM_BOT_TOKEN = BOT_TOKEN;
  if (botUsername) process.env.TELEGRAM_BOT_USERNAME = botUsername;
  else delete process.env.TELEGRAM_BOT_USERNAME;
  process.env.KADR_INIT_DATA_MAX_AGE = "3600";
  process.env.KADR_SESSION_SECRET = "integration-test-session-secret";
}

function tmaAuth(telegramId: number): string {
  return `tma ${sign({ user: { id: telegramId, first_name: `User ${telegramId}`, language_code: "en" } } as never, BOT_TOKEN, new Date())}`;
}

type Handler = (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>;

async function call(handler: Handler, urlPath: string, init: RequestInit & { auth?: string } = {}) {
  const headers = new Headers(init.headers);
  headers.set("host", "127.0.0.1:3210");
  if (init.auth) headers.set("authorization", init.auth);
  if (typeof init.body === "string") headers.set("content-type", "application/json");
  return handler(new Request(`${ORIGIN}${urlPath}`, { ...init, headers }), { params: Promise.resolve({}) });
}

async function userIdOf(telegramId: number): Promise<string> {
  const [row] = await handle.db.select().from(users).where(eq(users.telegramId, telegramId));
  return row!.id;
}

describe("GET /api/v1/credits and the 402 of POST /api/v1/jobs", () => {
  it("shows the starting grant, refuses a job over it with the amounts, and holds a job's estimate", async () => {
    telegramMode("kadr_test_bot");
    const auth = tmaAuth(5001);
    const first = await call(getCredits, "/api/v1/credits", { auth });
    expect(first.status).toBe(200);
    const credits = (await first.json()) as CreditsJson;
    expect(credits).toEqual({
      available: 100,
      reserved: 0,
      prices: { script: 2, imagePerSegment: 1, clipPerSegment: 2, narrationPerSecond: 0.2 },
      topUpUrl: "https://t.me/kadr_test_bot?start=buy",
    });

    const long = { topic: "Too long for the grant", segmentCount: 48, segmentSeconds: 5 };
    const needed = estimateJob(long, credits.prices).total;
    expect(needed).toBe(194);
    const refused = await call(createJobRoute, "/api/v1/jobs", {
      method: "POST",
      auth,
      body: JSON.stringify(long),
    });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({
      code: "insufficient_credits",
      message: expect.any(String),
      needed: 194,
      balance: 100,
      shortfall: 94,
    });

    const created = await call(createJobRoute, "/api/v1/jobs", {
      method: "POST",
      auth,
      body: JSON.stringify({ topic: "Fits", segmentCount: 10, segmentSeconds: 5 }),
    });
    expect(created.status).toBe(201);
    const after = (await (await call(getCredits, "/api/v1/credits", { auth })).json()) as CreditsJson;
    expect([after.available, after.reserved]).toEqual([58, 42]);
  });

  it("has no top-up link without a bot username, and answers 401 without credentials", async () => {
    telegramMode();
    const response = await call(getCredits, "/api/v1/credits", { auth: tmaAuth(5002) });
    expect(((await response.json()) as CreditsJson).topUpUrl).toBeNull();
    const anonymous = await call(getCredits, "/api/v1/credits");
    expect(anonymous.status).toBe(401);
  });
});

describe("GET /api/v1/jobs pagination", () => {
  it("pages 25 jobs newest first by (createdAt, id) without gaps or repeats, ties included", async () => {
    telegramMode();
    const auth = tmaAuth(5101);
    await call(listJobs, "/api/v1/jobs", { auth }); // creates the user
    const ownerId = await userIdOf(5101);
    await grant(handle.db, { userId: ownerId, amount: 10_000, key: `test:history:${ownerId}` });
    const deps = { db: handle.db, sendEvent: async () => undefined, policy: { limits: null } };
    const created: string[] = [];
    for (let i = 0; i < 25; i++) {
      created.push((await createJob(deps, ownerId, { topic: `Job ${i}`, segmentCount: 1 })).id);
    }
    // Four jobs share one timestamp (to the microsecond): the id breaks the tie.
    const tied = created.slice(10, 14);
    await handle.db
      .update(jobs)
      .set({ createdAt: new Date("2030-01-01T00:00:00.000Z") })
      .where(inArray(jobs.id, tied));
    // Another user's job never shows up.
    await call(listJobs, "/api/v1/jobs", { auth: tmaAuth(5102) });
    const otherId = await userIdOf(5102);
    await grant(handle.db, { userId: otherId, amount: 1_000, key: `test:history:${otherId}` });
    await createJob(deps, otherId, { topic: "Someone else's", segmentCount: 1 });

    const rows = await handle.db.select().from(jobs).where(eq(jobs.ownerId, ownerId));
    const expected = rows
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    expect(expected.slice(0, 4).sort()).toEqual([...tied].sort());

    const pages: JobPageJson[] = [];
    let before: string | null = null;
    do {
      const query: string = before ? `?limit=10&before=${before}` : "?limit=10";
      const response = await call(listJobs, `/api/v1/jobs${query}`, { auth });
      expect(response.status).toBe(200);
      const page = (await response.json()) as JobPageJson;
      pages.push(page);
      before = page.nextCursor;
    } while (before && pages.length < 5);
    expect(pages.map((p) => p.jobs.length)).toEqual([10, 10, 5]);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    expect(pages.flatMap((p) => p.jobs.map((j) => j.id))).toEqual(expected);
    expect(pages[0]!.jobs[0]).toMatchObject({ parentJobId: null, status: "queued", final: false });

    // Default page size is 20.
    const first = (await (await call(listJobs, "/api/v1/jobs", { auth })).json()) as JobPageJson;
    expect(first.jobs).toHaveLength(20);
    expect(first.nextCursor).toEqual(expect.any(String));
  });

  it("answers 400 for a forged cursor and for a limit out of 1..50", async () => {
    telegramMode();
    const auth = tmaAuth(5101);
    for (const query of [
      "?before=bm90LWEtY3Vyc29y",
      "?before=%25%25",
      "?limit=0",
      "?limit=51",
      "?limit=ten",
    ]) {
      const response = await call(listJobs, `/api/v1/jobs${query}`, { auth });
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ code: "bad_input", message: expect.any(String) });
    }
  });
});
