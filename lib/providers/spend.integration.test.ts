import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { asc } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { providerCalls } from "@/lib/db/schema/provider-calls";
import { openTestDb } from "@/lib/db/testing";
import type { VideoProfile } from "@/lib/media/profile";
import { ProviderError } from "./errors";
import { fakePng } from "./fakes/media";
import { OPENAI_ERRORS, type OpenAiFake, startOpenAiFake } from "./fakes/openai";
import { type RunwayFake, startRunwayFake } from "./fakes/runway";
import { getProviders, isClipJobProvider } from "./index";
import { recordProviderCall, reportUsage, withSpend } from "./spend";

let handle: DbHandle;
let openai: OpenAiFake;
let runway: RunwayFake;
let dir: string;

beforeAll(async () => {
  [handle, openai, runway] = await Promise.all([openTestDb(), startOpenAiFake(), startRunwayFake()]);
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-spend-"));
});
afterAll(async () => {
  await Promise.all([handle.close(), openai.close(), runway.close()]);
  await fs.promises.rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await handle.db.delete(providerCalls);
});

async function rows() {
  return handle.db.select().from(providerCalls).orderBy(asc(providerCalls.id));
}

describe("recordProviderCall", () => {
  it("writes one provider_calls row", async () => {
    await recordProviderCall(handle.db, {
      stage: "image",
      provider: "runway",
      model: "gen4_image",
      units: 1,
      unitKind: "image",
      costCredits: 5,
      costUsd: 0.05,
      latencyMs: 1200,
      outcome: "ok",
    });
    expect(await rows()).toEqual([
      expect.objectContaining({
        jobId: null,
        stage: "image",
        provider: "runway",
        units: 1,
        costCredits: 5,
        costUsd: 0.05,
        outcome: "ok",
        error: null,
      }),
    ]);
  });
});

describe("withSpend", () => {
  it("records each call with the usage it reported, its cost, latency and outcome", async () => {
    let calls = 0;
    const provider = {
      name: "runway",
      model: "gen4_turbo",
      async submit(seconds: number) {
        calls += 1;
        if (seconds < 0)
          throw new ProviderError({ kind: "invalid", provider: "Runway", status: 400, reason: "duration" });
        reportUsage({ model: "gen4_turbo", quantities: { video_second: seconds } });
        return `task-${calls}`;
      },
      async check(state: "pending" | "failed") {
        if (state === "failed")
          return {
            state,
            error: new ProviderError({ kind: "safety", provider: "Runway", reason: "SAFETY.INPUT.TEXT" }),
          };
        return { state };
      },
    };
    const metered = withSpend(provider, { db: handle.db, stage: "video", segmentIndex: 3 });
    expect(metered.name).toBe("runway");
    expect(await metered.submit(5)).toBe("task-1");
    await expect(metered.submit(-1)).rejects.toThrow("Runway rejected the request (HTTP 400): duration");
    await metered.check("pending");
    await metered.check("failed");
    const recorded = await rows();
    expect(
      recorded.map((r) => [
        r.stage,
        r.segmentIndex,
        r.model,
        r.units,
        r.unitKind,
        r.costCredits,
        r.costUsd,
        r.outcome,
        r.error,
      ]),
    ).toEqual([
      ["video", 3, "gen4_turbo", 5, "video_second", 25, 0.25, "ok", null],
      [
        "video",
        3,
        "gen4_turbo",
        0,
        "call",
        0,
        0,
        "invalid",
        "Runway rejected the request (HTTP 400): duration",
      ],
      [
        "video",
        3,
        "gen4_turbo",
        0,
        "call",
        0,
        0,
        "safety",
        "Blocked by the provider's safety filter (Runway: SAFETY.INPUT.TEXT)",
      ],
    ]);
    expect(recorded.every((r) => r.latencyMs >= 0)).toBe(true);
  });

  it("never fails the call when the row cannot be written", async () => {
    const failures: unknown[] = [];
    const broken = {
      insert: () => ({ values: async () => Promise.reject(new Error("db down")) }),
    } as unknown as typeof handle.db;
    const metered = withSpend(
      { name: "local", renderImage: async () => Buffer.from("png") },
      { db: broken, stage: "image", onRecordError: (e) => failures.push(e) },
    );
    expect(await metered.renderImage()).toEqual(Buffer.from("png"));
    expect(failures).toEqual([new Error("db down")]);
  });
});

describe("real providers from the environment, metered", () => {
  const PROFILE: VideoProfile = {
    width: 320,
    height: 180,
    fps: 24,
    audioSampleRate: 48_000,
    audioChannels: 2,
    gopSeconds: 1,
  };

  it("records token usage of the OpenAI script call and Runway clip seconds per segment", async () => {
    const providers = getProviders({
      KADR_LLM: "openai",
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.baseURL,
      KADR_VIDEO: "runway",
      RUNWAYML_API_SECRET: runway.apiKey,
      RUNWAYML_BASE_URL: runway.url,
    });
    const llm = withSpend(providers.llm, { db: handle.db, stage: "llm" });
    openai.model = () => ({
      json: { title: "T", intro: "One two three.", main: "Four five six seven.", outro: "Eight nine." },
    });
    await llm.writeScript({ topic: "numbers", language: "en", segmentCount: 3, segmentSeconds: 5 });
    openai.script(OPENAI_ERRORS.invalidKey());
    await expect(
      llm.writeScript({ topic: "numbers", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toMatchObject({ kind: "auth" });

    const video = providers.video;
    if (!isClipJobProvider(video)) throw new Error("runway must be a clip job provider");
    const imagePath = path.join(dir, "still.png");
    await fs.promises.writeFile(imagePath, await fakePng(320, 180));
    const metered = withSpend(video, { db: handle.db, stage: "video", segmentIndex: 0 });
    const id = await metered.submit({
      imagePath,
      seconds: 5,
      profile: PROFILE,
      motionPrompt: "pan left",
      seed: 1,
    });
    expect(await metered.check(id)).toEqual({ state: "pending" });

    const recorded = await rows();
    expect(recorded).toHaveLength(3);
    const [script, denied, submit] = recorded;
    expect(script).toMatchObject({
      stage: "llm",
      provider: "openai",
      model: "gpt-5-mini",
      unitKind: "token",
      outcome: "ok",
    });
    expect(script!.units).toBeGreaterThan(0);
    expect(script!.costUsd).toBeGreaterThan(0);
    expect(denied).toMatchObject({
      outcome: "auth",
      units: 0,
      error: "OpenAI refused Kadr's access (HTTP 401): invalid_api_key; check OPENAI_API_KEY",
    });
    expect(submit).toMatchObject({
      stage: "video",
      segmentIndex: 0,
      provider: "runway",
      model: "gen4_turbo",
      units: 5,
      unitKind: "video_second",
      costCredits: 25,
    });
  });
});
