import { describe, expect, it } from "vitest";
import { resolveModel } from "./models";
import { costOf, estimateJobCost } from "./prices";
import { requestedClipSeconds } from "./video/durations";

describe("resolveModel", () => {
  it("maps aliases, passes ids through and falls back to the default alias", () => {
    expect(resolveModel("video.veo", "veo-3.1")).toBe("veo-3.1-generate-001");
    expect(resolveModel("video.veo", " ")).toBe("veo-3.1-fast-generate-001");
    expect(resolveModel("llm.openai", "gpt-4.1")).toBe("gpt-4.1");
    expect(resolveModel("llm.openai", "constructor")).toBe("constructor");
  });
});

describe("requestedClipSeconds", () => {
  it("asks for the shortest accepted length that covers the segment", () => {
    expect(requestedClipSeconds("runway", "gen4_turbo", 5)).toBe(5);
    expect(requestedClipSeconds("runway", "gen4_turbo", 4.2)).toBe(5);
    expect(requestedClipSeconds("runway", "gen4_turbo", 1)).toBe(2);
    expect(requestedClipSeconds("veo", "veo-3.1-generate-001", 5)).toBe(6);
    expect(requestedClipSeconds("veo-gemini", "x", 12)).toBe(8);
    expect(requestedClipSeconds("fal", "fal-ai/kling-video/v2.1/standard/image-to-video", 6)).toBe(10);
    expect(requestedClipSeconds("local", "", 4.5)).toBe(5);
  });
});

describe("costOf", () => {
  it("prices units in USD and whole credits (1 credit = $0.01)", () => {
    expect(costOf("runway", "gen4_turbo", { video_second: 5 })).toEqual({
      usd: 0.25,
      credits: 25,
      priced: true,
    });
    expect(costOf("openai", "gpt-5-mini", { input_token: 1000, output_token: 500 })).toEqual({
      usd: 0.00125,
      credits: 1,
      priced: true,
    });
    expect(costOf("elevenlabs", "eleven_multilingual_v2", { character: 1000, audio_second: 60 })).toEqual({
      usd: 0.1,
      credits: 10,
      priced: true,
    });
    expect(costOf("local", undefined, { image: 3 })).toEqual({ usd: 0, credits: 0, priced: true });
    expect(costOf("openai", "gpt-unknown", { image: 1 })).toEqual({ usd: 0, credits: 0, priced: false });
  });
});

describe("estimateJobCost", () => {
  it("prices a 10 × 5 s job on OpenAI + Runway stage by stage", () => {
    const estimate = estimateJobCost({
      segmentCount: 10,
      segmentSeconds: 5,
      providers: {
        llm: { name: "openai", model: "gpt-5-mini" },
        image: { name: "runway", model: "gen4_image" },
        video: { name: "runway", model: "gen4_turbo" },
        tts: { name: "openai", model: "gpt-4o-mini-tts" },
      },
    });
    const byStage = Object.fromEntries(estimate.lines.map((l) => [l.stage, l]));
    expect(byStage.image).toMatchObject({ quantities: { image: 10 }, usd: 0.5, credits: 50 });
    expect(byStage.video).toMatchObject({ quantities: { video_second: 50 }, usd: 2.5, credits: 250 });
    expect(byStage.tts).toMatchObject({ usd: 0.0125, credits: 2 });
    // 125 words → 163 script tokens; output 163 + 700 + 250, input 1800 + 326 + 700.
    expect(byStage.llm!.quantities).toEqual({ input_token: 2826, output_token: 1113 });
    expect(estimate.complete).toBe(true);
    expect(estimate.credits).toBe(byStage.llm!.credits + 50 + 250 + 2);
    expect(estimate.usd).toBeCloseTo(0.5 + 2.5 + 0.0125 + byStage.llm!.usd, 6);
  });

  it("bills Veo's requested clip length, counts local stages as free and flags unpriced models", () => {
    const estimate = estimateJobCost({
      segmentCount: 48,
      segmentSeconds: 5,
      language: "ru",
      providers: {
        llm: { name: "local" },
        image: { name: "local" },
        video: { name: "veo", model: "veo-3.1-fast-generate-001" },
        tts: { name: "openai", model: "some-new-tts" },
      },
    });
    expect(estimate.lines.find((l) => l.stage === "video")).toMatchObject({
      quantities: { video_second: 288 },
      usd: 28.8,
      credits: 2880,
    });
    expect(estimate.complete).toBe(false);
    expect(estimate.credits).toBe(2880);
  });

  it("rejects impossible formats", () => {
    const providers = {
      llm: { name: "local" },
      image: { name: "local" },
      video: { name: "local" },
      tts: { name: "local" },
    };
    expect(() => estimateJobCost({ segmentCount: 0, segmentSeconds: 5, providers })).toThrow(RangeError);
    expect(() => estimateJobCost({ segmentCount: 3, segmentSeconds: 0, providers })).toThrow(RangeError);
  });
});
