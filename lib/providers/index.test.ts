import { describe, expect, it } from "vitest";
import { getProviders, PROVIDER_NAMES } from "./index";

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

  it.each(["KADR_LLM", "KADR_IMAGE", "KADR_VIDEO", "KADR_TTS"])(
    "names %s and the allowed values on a bad value",
    (variable) => {
      expect(() => getProviders({ [variable]: "openai" })).toThrow(
        new RegExp(`^${variable}="openai" is not a known \\w+ provider; allowed values: local$`),
      );
    },
  );

  it("does not accept inherited object keys as provider names", () => {
    expect(() => getProviders({ KADR_LLM: "constructor" })).toThrow(/KADR_LLM/);
  });

  it("reads process.env by default", () => {
    const saved = process.env.KADR_TTS;
    process.env.KADR_TTS = "elevenlabs";
    try {
      expect(() => getProviders()).toThrow(/KADR_TTS="elevenlabs"/);
    } finally {
      if (saved === undefined) delete process.env.KADR_TTS;
      else process.env.KADR_TTS = saved;
    }
    expect(PROVIDER_NAMES.tts).toEqual(["local"]);
  });
});
