import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, envSchema } from "@/lib/env";
import { getProviders, isClipJobProvider, PROVIDER_NAMES } from "./index";

const CREDENTIALS = {
  OPENAI_API_KEY: "sk-test",
  RUNWAYML_API_SECRET: "key_test",
  FAL_KEY: "id:secret",
  ELEVENLABS_API_KEY: "el-test",
  GEMINI_API_KEY: "gm-test",
};

describe("getProviders", () => {
  it("defaults every provider to local", () => {
    const providers = getProviders({});
    expect(Object.fromEntries(Object.entries(providers).map(([kind, p]) => [kind, p.name]))).toEqual({
      llm: "local",
      image: "local",
      video: "local",
      tts: "local",
    });
    expect(typeof providers.llm.writeScript).toBe("function");
    expect(typeof providers.llm.planSegments).toBe("function");
    expect(typeof providers.image.renderImage).toBe("function");
    expect(typeof providers.video.animateImage).toBe("function");
    expect(typeof providers.tts.synthesize).toBe("function");
    expect(isClipJobProvider(providers.video)).toBe(false);
  });

  it("accepts explicit, padded, upper-case and empty values", () => {
    const providers = getProviders({
      KADR_LLM: " LOCAL ",
      KADR_IMAGE: "local",
      KADR_VIDEO: "",
      KADR_TTS: "Local",
    });
    expect([providers.llm.name, providers.image.name, providers.video.name, providers.tts.name]).toEqual([
      "local",
      "local",
      "local",
      "local",
    ]);
  });

  it.each([
    ["KADR_LLM", "local, openai"],
    ["KADR_IMAGE", "local, openai, runway, fal"],
    ["KADR_VIDEO", "local, runway, veo, veo-gemini, fal"],
    ["KADR_TTS", "local, openai, elevenlabs"],
  ])("names %s and the allowed values on a bad value", (variable, allowed) => {
    expect(() => getProviders({ [variable]: "acme" })).toThrow(
      `${variable}="acme" is not a known ${variable.slice(5).toLowerCase()} provider; allowed values: ${allowed}`,
    );
  });

  it("does not accept inherited object keys as provider names", () => {
    expect(() => getProviders({ KADR_LLM: "constructor" })).toThrow(/KADR_LLM/);
  });

  it("selects every real provider with its default model, without loading any SDK yet", () => {
    const openai = getProviders({
      ...CREDENTIALS,
      KADR_LLM: "openai",
      KADR_IMAGE: "openai",
      KADR_VIDEO: "runway",
      KADR_TTS: "openai",
    });
    expect([openai.llm, openai.image, openai.video, openai.tts].map((p) => [p.name, p.model])).toEqual([
      ["openai", "gpt-5-mini"],
      ["openai", "gpt-image-2"],
      ["runway", "gen4_turbo"],
      ["openai", "gpt-4o-mini-tts"],
    ]);
    expect(isClipJobProvider(openai.video)).toBe(true);
    const others = getProviders({
      ...CREDENTIALS,
      KADR_IMAGE: "fal",
      KADR_VIDEO: "veo-gemini",
      KADR_TTS: "elevenlabs",
    });
    expect([others.image, others.video, others.tts].map((p) => [p.name, p.model])).toEqual([
      ["fal", "fal-ai/flux/schnell"],
      ["veo-gemini", "veo-3.1-fast-generate-preview"],
      ["elevenlabs", "eleven_multilingual_v2"],
    ]);
  });

  it("resolves model aliases and passes provider ids through", () => {
    const providers = getProviders({
      ...CREDENTIALS,
      KADR_LLM: "openai",
      KADR_LLM_MODEL: "best",
      KADR_IMAGE: "runway",
      KADR_VIDEO: "fal",
      KADR_VIDEO_MODEL: "kling-2.1-pro",
      KADR_TTS: "openai",
      KADR_TTS_MODEL: "gpt-4o-mini-tts-2025-12-15",
    });
    expect([providers.llm.model, providers.image.model, providers.video.model, providers.tts.model]).toEqual([
      "gpt-5",
      "gen4_image",
      "fal-ai/kling-video/v2.1/pro/image-to-video",
      "gpt-4o-mini-tts-2025-12-15",
    ]);
  });

  it.each([
    [{ KADR_LLM: "openai" }, "KADR_LLM=openai needs OPENAI_API_KEY; set it or choose another KADR_LLM"],
    [
      { KADR_IMAGE: "runway" },
      "KADR_IMAGE=runway needs RUNWAYML_API_SECRET; set it or choose another KADR_IMAGE",
    ],
    [{ KADR_IMAGE: "fal" }, "KADR_IMAGE=fal needs FAL_KEY; set it or choose another KADR_IMAGE"],
    [{ KADR_VIDEO: "veo" }, "KADR_VIDEO=veo needs GOOGLE_CLOUD_PROJECT; set it or choose another KADR_VIDEO"],
    [
      { KADR_VIDEO: "veo", GOOGLE_CLOUD_PROJECT: "p" },
      "KADR_VIDEO=veo needs GOOGLE_APPLICATION_CREDENTIALS; set it or choose another KADR_VIDEO",
    ],
    [
      {
        KADR_VIDEO: "veo",
        GOOGLE_CLOUD_PROJECT: "p",
        GOOGLE_APPLICATION_CREDENTIALS: "/nonexistent/key.json",
      },
      "KADR_VIDEO=veo: GOOGLE_APPLICATION_CREDENTIALS names a missing file (/nonexistent/key.json)",
    ],
    [
      { KADR_VIDEO: "veo-gemini" },
      "KADR_VIDEO=veo-gemini needs GEMINI_API_KEY; set it or choose another KADR_VIDEO",
    ],
    [
      { KADR_TTS: "elevenlabs", ELEVENLABS_API_KEY: "  " },
      "KADR_TTS=elevenlabs needs ELEVENLABS_API_KEY; set it or choose another KADR_TTS",
    ],
  ])("fails at start naming the missing setting (%o)", (env, message) => {
    expect(() => getProviders(env)).toThrow(new ConfigError(message));
  });

  it("accepts Vertex settings with an existing key file", () => {
    const keyFile = path.join(os.tmpdir(), `kadr-sa-${process.pid}.json`);
    fs.writeFileSync(keyFile, "{}");
    try {
      const { video } = getProviders({
        KADR_VIDEO: "veo",
        GOOGLE_CLOUD_PROJECT: "p",
        GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      });
      expect([video.name, video.model]).toEqual(["veo", "veo-3.1-fast-generate-001"]);
    } finally {
      fs.rmSync(keyFile);
    }
  });

  it("keeps lib/env.ts in step with the factory", () => {
    for (const [kind, variable] of [
      ["llm", "KADR_LLM"],
      ["image", "KADR_IMAGE"],
      ["video", "KADR_VIDEO"],
      ["tts", "KADR_TTS"],
    ] as const) {
      for (const name of PROVIDER_NAMES[kind]) {
        expect(envSchema.parse({ [variable]: ` ${name.toUpperCase()} ` })[variable]).toBe(name);
      }
      const rejected = envSchema.safeParse({ [variable]: "acme" });
      expect(rejected.success).toBe(false);
      expect(JSON.stringify(rejected.error?.issues)).toContain(JSON.stringify(PROVIDER_NAMES[kind]));
    }
  });

  it("reads process.env by default", () => {
    const saved = process.env.KADR_TTS;
    process.env.KADR_TTS = "polly";
    try {
      expect(() => getProviders()).toThrow(/KADR_TTS="polly"/);
    } finally {
      if (saved === undefined) delete process.env.KADR_TTS;
      else process.env.KADR_TTS = saved;
    }
  });
});
