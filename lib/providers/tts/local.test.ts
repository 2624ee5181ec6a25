import { describe, expect, it } from "vitest";
import { createLocalTts, synthesizeLocal } from "./local";
import { parseWav } from "./wav";

/** RMS of 16-bit mono samples (0–32767) and the share of samples louder than ±500. */
function loudness(wav: Buffer): { rms: number; loudShare: number } {
  const info = parseWav(wav);
  let sum = 0;
  let loud = 0;
  const n = info.dataBytes / 2;
  for (let i = 0; i < n; i++) {
    const v = wav.readInt16LE(info.dataOffset + i * 2);
    sum += v * v;
    if (Math.abs(v) > 500) loud++;
  }
  return { rms: Math.sqrt(sum / n), loudShare: loud / n };
}

const TEXT = {
  ru: "Сегодня поговорим о том, как варят кофе. Сначала зёрна обжаривают, потом мелют.",
  en: "Today we talk about how coffee is brewed. First the beans are roasted, then ground.",
} as const;

describe("local TTS (espeak-ng wasm)", () => {
  it.each(["ru", "en"] as const)(
    "speaks %s: 22 050 Hz mono 16-bit WAV, seconds long, not silent",
    async (language) => {
      const tts = createLocalTts();
      expect(tts.name).toBe("local");
      const { wav, durationSeconds } = await tts.synthesize({ text: TEXT[language], language });
      expect(wav.toString("ascii", 0, 4)).toBe("RIFF");
      const info = parseWav(wav);
      expect([info.sampleRate, info.channels, info.bitsPerSample]).toEqual([22050, 1, 16]);
      expect(durationSeconds).toBe(info.durationSeconds);
      // 13–14 words at ≈ 2.2–2.6 words/s.
      expect(durationSeconds).toBeGreaterThan(3);
      expect(durationSeconds).toBeLessThan(9);
      const { rms, loudShare } = loudness(wav);
      expect(rms).toBeGreaterThan(500);
      expect(loudShare).toBeGreaterThan(0.2);
    },
  );

  it("uses the language's voice (ru and en voices give different audio for the same text)", async () => {
    const ru = await synthesizeLocal({ text: TEXT.ru, language: "ru" });
    const asEnglish = await synthesizeLocal({ text: TEXT.ru, language: "en" });
    expect(ru.wav.equals(asEnglish.wav)).toBe(false);
    expect(Math.abs(ru.durationSeconds - asEnglish.durationSeconds)).toBeGreaterThan(0.1);
  });

  it("is deterministic", async () => {
    const a = await synthesizeLocal({ text: "Проверка.", language: "ru" });
    const b = await synthesizeLocal({ text: "Проверка.", language: "ru" });
    expect(a.wav.equals(b.wav)).toBe(true);
  });

  it("speaks faster with a higher rate or speed, and fits maxSeconds", async () => {
    const slow = await synthesizeLocal({ text: TEXT.en, language: "en", wordsPerMinute: 120 });
    const fast = await synthesizeLocal({ text: TEXT.en, language: "en", wordsPerMinute: 240 });
    expect(fast.durationSeconds).toBeLessThan(slow.durationSeconds * 0.65);
    const normal = await synthesizeLocal({ text: TEXT.en, language: "en" });
    const sped = await synthesizeLocal({ text: TEXT.en, language: "en", speed: 1.5 });
    expect(sped.durationSeconds).toBeLessThan(normal.durationSeconds * 0.8);
    const target = normal.durationSeconds * 0.7;
    const fitted = await synthesizeLocal({ text: TEXT.en, language: "en", maxSeconds: target });
    expect(fitted.durationSeconds).toBeLessThanOrEqual(target);
    expect(fitted.durationSeconds).toBeGreaterThan(target * 0.8);
  });

  it("handles quotes, dashes and text that looks like options", async () => {
    const { durationSeconds } = await synthesizeLocal({
      text: '-v en «Кофе» — "это" просто!\n\tПравда?',
      language: "ru",
    });
    expect(durationSeconds).toBeGreaterThan(1);
  });

  it("leaves process.exitCode alone", async () => {
    const before = process.exitCode;
    await synthesizeLocal({ text: "Hello.", language: "en" });
    await expect(synthesizeLocal({ text: "Hello.", language: "en", voice: "xx-nope" })).rejects.toThrow(
      RangeError,
    );
    expect(process.exitCode).toBe(before);
  });

  it("rejects invalid input", async () => {
    await expect(synthesizeLocal({ text: "  … ", language: "ru" })).rejects.toThrow(RangeError);
    await expect(synthesizeLocal({ text: "Hi.", language: "en", voice: "en; rm -rf" })).rejects.toThrow(
      /invalid espeak-ng voice/,
    );
    await expect(synthesizeLocal({ text: "Hi.", language: "en", wordsPerMinute: 20 })).rejects.toThrow(
      RangeError,
    );
    await expect(synthesizeLocal({ text: "Hi.", language: "en", speed: 0 })).rejects.toThrow(RangeError);
    await expect(synthesizeLocal({ text: "Hi.", language: "en", maxSeconds: -1 })).rejects.toThrow(
      RangeError,
    );
  });
});
