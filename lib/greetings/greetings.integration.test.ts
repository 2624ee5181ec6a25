/**
 * Personalized greetings through the real pipeline (embedded executor, local providers, real
 * ffmpeg): one generation per distinct name shared by every requester, payments captured on
 * success and released on failure, images and clips rendered once per template.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngest } from "@/inngest/client";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import { balance, grant } from "@/lib/credits/ledger";
import { insertUser } from "@/lib/credits/test-fixtures";
import type { DbHandle } from "@/lib/db";
import { approvals, generations, jobs, providerCalls, segments, subscriptions } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { analyzeAudio } from "@/lib/media/loudness";
import { probeMedia } from "@/lib/media/probe";
import { getProviders, type SynthesizeInput } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/errors";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import type { StudioDeps } from "@/lib/studio/jobs";
import { displayName, GreetingRequestSchema, getGreetingStatus, requestGreeting } from "./greetings";

let handle: DbHandle;
let executor: EmbeddedExecutor;
let runtime: Runtime;
let deps: StudioDeps;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-greetings-"));
/** Narration that mentions this name fails with bad credentials (the whole generation fails). */
const UNLUCKY = "Фейл";

async function userWith(credits: number): Promise<string> {
  const userId = await insertUser(handle.db);
  await grant(handle.db, { userId, amount: credits, key: `test:${userId}` });
  return userId;
}

async function untilStatus(jobId: string, userId: string, statuses: string[]) {
  for (let i = 0; i < 1200; i++) {
    const status = await getGreetingStatus(handle.db, jobId, userId);
    if (statuses.includes(status.status)) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`greeting ${jobId} never reached ${statuses.join("/")}`);
}

describe("greeting names", () => {
  it("accepts letters of any script with spaces, hyphens and apostrophes, 1-40 characters", () => {
    for (const name of ["Анна", "Jean-Luc", "O'Brien", "Zoë", "محمد", "李 小龙", "  Mary   Ann "]) {
      expect(GreetingRequestSchema.safeParse({ templateId: "new-year-en", name }).success, name).toBe(true);
    }
    const problems = {
      "": /empty/,
      [`${"a".repeat(41)}`]: /longer than 40/,
      R2D2: /letters, spaces, hyphens and apostrophes/,
      "<b>Ann</b>": /letters/,
      "Ann--Marie": /letters/,
      "-Ann": /letters/,
    };
    for (const [name, message] of Object.entries(problems)) {
      const parsed = GreetingRequestSchema.safeParse({ templateId: "new-year-en", name });
      expect(parsed.success, name).toBe(false);
      expect(parsed.error!.issues[0]!.message, name).toMatch(message);
    }
    expect(
      GreetingRequestSchema.safeParse({ templateId: "birthday", name: "Ann" }).error!.issues[0]!.message,
    ).toMatch(/Unknown greeting template "birthday"/);
  });

  it("narrates one canonical spelling for every way of writing the same name", () => {
    expect(displayName("анна")).toBe("Анна");
    expect(displayName("АННА")).toBe("Анна");
    expect(displayName("  jean-luc  picard ")).toBe("Jean-Luc Picard");
    expect(displayName("o'brien")).toBe("O'brien");
  });
});

describe(`greetings through the pipeline (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    const providers = getProviders({});
    const tts = {
      ...providers.tts,
      name: providers.tts.name,
      synthesize: async (input: SynthesizeInput) => {
        if (input.text.includes(UNLUCKY)) {
          throw new ProviderError({ kind: "auth", provider: "Test voice", reason: "invalid_api_key" });
        }
        return providers.tts.synthesize(input);
      },
    };
    // Greetings come with music: Kadr's default bed, mixed to −16 LUFS.
    runtime = await createRuntime({
      dbHandle: handle,
      dataDir,
      providers: { ...providers, tts },
      audio: { music: "default" },
    });
    setRuntime(runtime);
    executor = await startEmbeddedEngine({ db: handle.db });
    deps = { db: handle.db, sendEvent: (e) => inngest.send(e) };
  });
  afterAll(async () => {
    await executor.stop();
    setRuntime(undefined);
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("renders a name once without gates and serves everyone who asks for it", async () => {
    const [anna, boris, clara] = [await userWith(100), await userWith(100), await userWith(100)];
    const first = await requestGreeting(
      deps,
      anna,
      { templateId: "new-year-ru", name: "анна" },
      { channel: "dashboard" },
    );
    expect(first).toMatchObject({ role: "owner", name: "Анна", charged: 5 });
    const joined = await requestGreeting(
      deps,
      boris,
      { templateId: "new-year-ru", name: " АННА " },
      { channel: "dashboard" },
    );
    expect(joined).toMatchObject({ role: "subscriber", jobId: first.jobId, charged: 5 });
    // Asking again on the same channel costs nothing more.
    const again = await requestGreeting(
      deps,
      boris,
      { templateId: "new-year-ru", name: "Анна" },
      { channel: "dashboard" },
    );
    expect(again).toMatchObject({ jobId: first.jobId, newSubscription: false, charged: 0 });
    expect(await balance(handle.db, boris)).toEqual({ available: 95, reserved: 5 });

    const done = await untilStatus(first.jobId, anna, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.title).toBe("С Новым годом, Анна!");
    const gates = await handle.db.select().from(approvals).where(eq(approvals.jobId, first.jobId));
    expect(gates.map((g) => [g.gate, g.actor]).sort()).toEqual([
      ["clips", "template"],
      ["images", "template"],
      ["script", "template"],
    ]);
    const probe = await probeMedia(await runtime.store.localPath(done.video!.storageKey));
    expect(probe.streams.find((s) => s.type === "video")).toMatchObject({ width: 720, height: 1280 });
    expect(probe.streams.map((s) => s.type).sort()).toEqual(["audio", "subtitle", "video"]);
    // 4 × 5 s with a 0.5 s crossfade at the two section boundaries.
    expect(probe.durationSeconds).toBeCloseTo(19, 1);
    const mix = await analyzeAudio(await runtime.store.localPath(done.video!.storageKey));
    expect(Math.abs(mix.integratedLufs - -16)).toBeLessThanOrEqual(1);

    const late = await requestGreeting(
      deps,
      clara,
      { templateId: "new-year-ru", name: "Анна" },
      { channel: "dashboard" },
    );
    expect(late).toMatchObject({ role: "completed", jobId: first.jobId, charged: 5 });
    if (late.role === "completed") expect(late.result.storageKey).toBe(done.video!.storageKey);
    for (const user of [anna, boris, clara]) {
      expect(await balance(handle.db, user)).toEqual({ available: 95, reserved: 0 });
    }
    expect(await handle.db.select().from(jobs).where(eq(jobs.source, "greeting"))).toHaveLength(1);
    expect(
      await handle.db.select().from(subscriptions).where(eq(subscriptions.jobId, first.jobId)),
    ).toHaveLength(3);

    // Another name reuses every image and clip of the template: only the narration is new.
    const dora = await userWith(100);
    const other = await requestGreeting(
      deps,
      dora,
      { templateId: "new-year-ru", name: "Дора" },
      { channel: "dashboard" },
    );
    expect(other.role).toBe("owner");
    expect((await untilStatus(other.jobId, dora, ["completed", "failed"])).status).toBe("completed");
    const media = async (jobId: string) =>
      (await handle.db.select().from(segments).where(eq(segments.jobId, jobId))).map((s) => [
        s.index,
        s.imageAssetId,
        s.clipAssetId,
      ]);
    expect((await media(other.jobId)).sort()).toEqual((await media(first.jobId)).sort());
    const calls = await handle.db
      .select({ stage: providerCalls.stage })
      .from(providerCalls)
      .where(and(eq(providerCalls.jobId, other.jobId), inArray(providerCalls.stage, ["image", "video"])));
    expect(calls).toEqual([]);
  });

  it("tells and refunds every subscriber when the generation fails, and the next request restarts it", async () => {
    const [eve, fred] = [await userWith(100), await userWith(100)];
    const first = await requestGreeting(
      deps,
      eve,
      { templateId: "new-year-ru", name: UNLUCKY },
      { channel: "dashboard" },
    );
    await requestGreeting(deps, fred, { templateId: "new-year-ru", name: UNLUCKY }, { channel: "dashboard" });
    const failed = await untilStatus(first.jobId, eve, ["failed", "completed"]);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/Test voice/);
    for (let i = 0; i < 100 && (await balance(handle.db, fred)).reserved > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const user of [eve, fred])
      expect(await balance(handle.db, user)).toEqual({ available: 100, reserved: 0 });
    const [generation] = await handle.db.select().from(generations).where(eq(generations.jobId, first.jobId));
    expect(generation).toMatchObject({ status: "failed" });

    const retry = await requestGreeting(
      deps,
      fred,
      { templateId: "new-year-ru", name: UNLUCKY },
      { channel: "dashboard" },
    );
    expect(retry.role).toBe("owner");
    expect(retry.jobId).not.toBe(first.jobId);
  });
});

describe(`concurrent identical greeting requests (${testDbKind()})`, () => {
  it("100 requests at once start one job and make 100 paid subscriptions", async () => {
    const db = (await openTestDb()) as DbHandle;
    try {
      const started: string[] = [];
      const recording: StudioDeps = {
        db: db.db,
        sendEvent: async (event) => void started.push(String(event.data.jobId)),
      };
      const users: string[] = [];
      for (let i = 0; i < 100; i++) {
        const userId = await insertUser(db.db);
        await grant(db.db, { userId, amount: 10, key: `test:${userId}` });
        users.push(userId);
      }
      const outcomes = await Promise.all(
        users.map((userId) =>
          requestGreeting(
            recording,
            userId,
            { templateId: "new-year-en", name: "Mia" },
            { channel: "dashboard" },
          ),
        ),
      );
      expect(new Set(outcomes.map((o) => o.jobId)).size).toBe(1);
      expect(outcomes.filter((o) => o.role === "owner")).toHaveLength(1);
      expect(started).toEqual([outcomes[0]!.jobId]);
      expect(await db.db.select().from(jobs)).toHaveLength(1);
      expect(await db.db.select().from(subscriptions)).toHaveLength(100);
      for (const userId of users.slice(0, 5)) {
        expect(await balance(db.db, userId)).toEqual({ available: 5, reserved: 5 });
      }
    } finally {
      await db.close();
    }
  });
});
