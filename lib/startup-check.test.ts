import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { register } from "@/instrumentation";
import { ConfigError } from "@/lib/env";
import { assertStartupSettings, startupSettingProblems } from "./startup-check";

/** Secrets that are set in every case below; no message may show them. */
const SECRETS = {
  OPENAI_API_KEY: "sk-test-s3cr3t-openai-0001",
  ELEVENLABS_API_KEY: "el-s3cr3t-0002",
  SUPABASE_SERVICE_ROLE_KEY: "eyJ-s3cr3t-service-role-0003",
  TELEGRAM_BOT_TOKEN: "123456:s3cr3t-bot-token-0004",
};

function messageOf(env: Record<string, string | undefined>): string {
  try {
    assertStartupSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("assertStartupSettings accepted the configuration");
}

function expectNoSecret(message: string) {
  for (const value of Object.values(SECRETS)) expect(message).not.toContain(value);
  expect(message).not.toMatch(/s3cr3t/);
}

describe("startup settings check", () => {
  it("names RUNWAYML_API_SECRET for KADR_VIDEO=runway without it, and nothing secret", () => {
    const message = messageOf({ ...SECRETS, KADR_VIDEO: "runway", KADR_LLM: "openai" });
    expect(message).toBe(
      [
        "Kadr cannot start: fix these settings of the selected providers (README, Configuration), or choose other providers:",
        "- RUNWAYML_API_SECRET is not set (needed by KADR_VIDEO=runway)",
      ].join("\n"),
    );
    expectNoSecret(message);
  });

  it("names both SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY for KADR_STORAGE=supabase without them", () => {
    const { SUPABASE_SERVICE_ROLE_KEY: _, ...others } = SECRETS;
    const message = messageOf({ ...others, KADR_STORAGE: "supabase", SUPABASE_URL: "  " });
    expect(message.split("\n").slice(1)).toEqual([
      "- SUPABASE_URL is not set (needed by KADR_STORAGE=supabase)",
      "- SUPABASE_SERVICE_ROLE_KEY is not set (needed by KADR_STORAGE=supabase)",
    ]);
    expectNoSecret(message);
  });

  it("lists every missing setting at once, each setting once with every selection needing it", () => {
    expect(
      startupSettingProblems({
        KADR_LLM: "openai",
        KADR_IMAGE: "Runway",
        KADR_VIDEO: "runway",
        KADR_TTS: "elevenlabs",
        KADR_STORAGE: "supabase",
        SUPABASE_URL: "http://127.0.0.1:54321",
        ELEVENLABS_API_KEY: SECRETS.ELEVENLABS_API_KEY,
      }),
    ).toEqual([
      "OPENAI_API_KEY is not set (needed by KADR_LLM=openai)",
      "RUNWAYML_API_SECRET is not set (needed by KADR_IMAGE=runway, KADR_VIDEO=runway)",
      "SUPABASE_SERVICE_ROLE_KEY is not set (needed by KADR_STORAGE=supabase)",
    ]);
  });

  it("reports a missing Vertex key file, Veo's project, and unknown provider or storage names", () => {
    expect(
      startupSettingProblems({
        KADR_VIDEO: "veo",
        GOOGLE_APPLICATION_CREDENTIALS: "/nonexistent/kadr-sa.json",
        KADR_TTS: "polly",
        KADR_STORAGE: "s3",
      }),
    ).toEqual([
      "GOOGLE_CLOUD_PROJECT is not set (needed by KADR_VIDEO=veo)",
      "GOOGLE_APPLICATION_CREDENTIALS names a missing file (/nonexistent/kadr-sa.json) (needed by KADR_VIDEO=veo)",
      'KADR_TTS is "polly", not a known tts provider (allowed: local, openai, elevenlabs) (needed by KADR_TTS=polly)',
      'KADR_STORAGE is "s3", not a known storage (allowed: local, supabase) (needed by KADR_STORAGE=s3)',
    ]);
  });

  it("accepts the defaults and a complete real-provider configuration", () => {
    expect(startupSettingProblems({})).toEqual([]);
    expect(() => assertStartupSettings({})).not.toThrow();
    const complete = {
      ...SECRETS,
      KADR_LLM: "openai",
      KADR_IMAGE: "fal",
      FAL_KEY: "fal-key-0005",
      KADR_VIDEO: "veo-gemini",
      GEMINI_API_KEY: "gemini-key-0006",
      KADR_TTS: "elevenlabs",
      KADR_STORAGE: "supabase",
      SUPABASE_URL: "https://abcd.supabase.co",
    };
    expect(startupSettingProblems(complete)).toEqual([]);
  });
});

describe("the app server's instrumentation hook", () => {
  afterEach(() => vi.unstubAllEnvs());

  it.each(["embedded", "inngest"])(
    "refuses to start with KADR_ENGINE=%s and a missing credential",
    async (engine) => {
      vi.stubEnv("NEXT_RUNTIME", "nodejs");
      vi.stubEnv("KADR_ENGINE", engine);
      vi.stubEnv("KADR_IMAGE", "openai");
      vi.stubEnv("OPENAI_API_KEY", "");
      vi.stubEnv("KADR_VIDEO", "runway");
      vi.stubEnv("RUNWAYML_API_SECRET", "");
      const failure = await register().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).message.split("\n").slice(1)).toEqual([
        "- OPENAI_API_KEY is not set (needed by KADR_IMAGE=openai)",
        "- RUNWAYML_API_SECRET is not set (needed by KADR_VIDEO=runway)",
      ]);
    },
  );
});

describe("npm run bot", () => {
  it("exits 2 naming the missing setting, before it opens a database or calls Telegram", () => {
    const dataDir = path.join(os.tmpdir(), `kadr-bot-check-${process.pid}`);
    const root = path.resolve(import.meta.dirname, "..");
    const result = spawnSync(process.execPath, ["--import", "tsx", "lib/telegram/bot/polling.ts"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        ...process.env,
        KADR_TEST_DB: "",
        DATABASE_URL: "",
        KADR_DATA_DIR: dataDir,
        TELEGRAM_BOT_TOKEN: "123456:s3cr3t-bot-token",
        // Nothing listens here: a call to Telegram would fail differently.
        TELEGRAM_API_ROOT: "http://127.0.0.1:9",
        KADR_TTS: "elevenlabs",
        ELEVENLABS_API_KEY: "",
      },
    });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr.trim().split("\n").slice(1)).toEqual([
      "- ELEVENLABS_API_KEY is not set (needed by KADR_TTS=elevenlabs)",
    ]);
    expect(result.stderr).not.toContain("s3cr3t");
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
