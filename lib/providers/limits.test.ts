import { describe, expect, it } from "vitest";
import type { Providers } from "./index";
import { isClipJobProvider } from "./index";
import { limitProviderCalls } from "./limits";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Providers whose calls record [start, end] times and the peak number in flight per kind. */
function recordingProviders() {
  const inFlight = { llm: 0, image: 0, video: 0, tts: 0 };
  const peak = { llm: 0, image: 0, video: 0, tts: 0 };
  const order: string[] = [];
  const track = async <T>(kind: keyof typeof inFlight, label: string, value: T): Promise<T> => {
    inFlight[kind]++;
    peak[kind] = Math.max(peak[kind], inFlight[kind]);
    order.push(label);
    await sleep(15);
    inFlight[kind]--;
    return value;
  };
  const image = {
    name: "rec",
    async renderImage(input: { prompt: string }) {
      return track("image", input.prompt, Buffer.from(input.prompt));
    },
    /** Calls its own method: must not wait for a second slot (it would deadlock at limit 1). */
    async upscaleImage(input: { prompt: string }) {
      return this.renderImage({ prompt: `${input.prompt}+up` });
    },
  };
  const providers = {
    llm: { name: "rec" },
    image,
    video: {
      name: "rec",
      pollIntervalSeconds: 7,
      animateImage: async () => track("video", "clip", undefined),
    },
    tts: { name: "rec", synthesize: async () => track("tts", "speech", { audio: Buffer.alloc(0) }) },
  } as unknown as Providers;
  return { providers, peak, order };
}

describe("limitProviderCalls", () => {
  it("keeps each kind's calls in flight at or under its limit, in arrival order", async () => {
    const { providers, peak, order } = recordingProviders();
    const limited = limitProviderCalls(providers, { llm: 1, image: 3, video: 2, tts: 1 });
    const prompts = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const images = await Promise.all(prompts.map((prompt) => limited.image.renderImage({ prompt } as never)));
    await Promise.all([
      ...Array.from({ length: 5 }, () => limited.video.animateImage({} as never)),
      ...Array.from({ length: 4 }, () => limited.tts.synthesize({} as never)),
    ]);
    expect(images.map((b) => b.toString())).toEqual(prompts);
    expect(peak).toEqual({ llm: 0, image: 3, video: 2, tts: 1 });
    expect(order.filter((label) => label.startsWith("p"))).toEqual(prompts);
  });

  it("passes other properties through, leaves absent methods absent, and counts a nested own call once", async () => {
    const { providers } = recordingProviders();
    const limited = limitProviderCalls(providers, { llm: 1, image: 1, video: 1, tts: 1 });
    expect(limited.image.name).toBe("rec");
    expect((limited.video as unknown as { pollIntervalSeconds: number }).pollIntervalSeconds).toBe(7);
    expect(limited.image.editImage).toBeUndefined();
    expect(isClipJobProvider(limited.video)).toBe(false);
    const upscaled = await limited.image.upscaleImage!({ prompt: "a" } as never);
    expect(upscaled.toString()).toBe("a+up");
  });

  it("applies no limit for Infinity, and wraps an already limited set only once", async () => {
    const { providers, peak } = recordingProviders();
    const limited = limitProviderCalls(providers, {
      llm: Number.POSITIVE_INFINITY,
      image: Number.POSITIVE_INFINITY,
      video: 2,
      tts: 1,
    });
    expect(limitProviderCalls(limited, { llm: 1, image: 1, video: 1, tts: 1 })).toBe(limited);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => limited.image.renderImage({ prompt: `${i}` } as never)),
    );
    expect(peak.image).toBe(6);
  });
});
