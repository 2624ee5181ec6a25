import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeNarration, narrationCues } from "./narration";
import { probeMedia } from "./probe";
import {
  audioStream,
  makeTempDir,
  maxVolumeDb,
  meanVolumeDb,
  renderLavfi,
  SMALL_PROFILE,
} from "./test-support";

let dir: string;
let cleanup: () => Promise<void>;
/** Stand-ins for espeak-ng output: 22.05 kHz mono 16-bit WAV. */
let speechA: string;
let speechB: string;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  const wav = (name: string, frequency: number) =>
    renderLavfi(path.join(dir, name), [`sine=frequency=${frequency}:sample_rate=22050`], 1, [
      "-c:a",
      "pcm_s16le",
    ]);
  [speechA, speechB] = await Promise.all([wav("a.wav", 440), wav("b.wav", 660)]);
});
afterAll(() => cleanup());

describe("narrationCues", () => {
  it("starts each segment's speech where the segment starts on the final timeline", () => {
    const clips = [
      { section: "intro", seconds: 2 },
      { section: "main", seconds: 2 },
      { section: "main", seconds: 2 },
      { section: "outro", seconds: 2 },
    ] as const;
    expect(narrationCues(["i.wav", "m1.wav", null, "o.wav"], clips, 0.5)).toEqual([
      { audioPath: "i.wav", startSeconds: 0, endSeconds: 2, fadeOutSeconds: 0.5 },
      { audioPath: "m1.wav", startSeconds: 1.5, fadeInSeconds: 0.1 },
      { audioPath: "o.wav", startSeconds: 5, fadeInSeconds: 0.1 },
    ]);
  });

  it("crossfades the speech only at transitions, with the fade-in asked for, and not for hard cuts", () => {
    const clips = [
      { section: "intro", seconds: 2 },
      { section: "main", seconds: 2 },
      { section: "main", seconds: 2 },
    ] as const;
    expect(narrationCues(["a.wav", "b.wav", "c.wav"], clips, 0.5, { fadeInSeconds: 0.3 })).toEqual([
      { audioPath: "a.wav", startSeconds: 0, endSeconds: 2, fadeOutSeconds: 0.5 },
      { audioPath: "b.wav", startSeconds: 1.5, fadeInSeconds: 0.3 },
      { audioPath: "c.wav", startSeconds: 3.5 },
    ]);
    expect(narrationCues(["a.wav", "b.wav", "c.wav"], clips, 0)).toEqual([
      { audioPath: "a.wav", startSeconds: 0 },
      { audioPath: "b.wav", startSeconds: 2 },
      { audioPath: "c.wav", startSeconds: 4 },
    ]);
    expect(() => narrationCues(["a.wav", null, null], clips, 0.5, { fadeInSeconds: -1 })).toThrow(
      /fadeInSeconds/,
    );
  });

  it("starts every segment's speech with its crossfade when every pair of segments has one", () => {
    const clips = [
      { section: "main", seconds: 2 },
      { section: "main", seconds: 2 },
    ] as const;
    expect(narrationCues(["a.wav", "b.wav"], clips, 0.5, "all")).toEqual([
      { audioPath: "a.wav", startSeconds: 0, endSeconds: 2, fadeOutSeconds: 0.5 },
      { audioPath: "b.wav", startSeconds: 1.5, fadeInSeconds: 0.1 },
    ]);
  });

  it("rejects a narration list that does not match the clips", () => {
    expect(() => narrationCues(["a.wav"], [], 0.5)).toThrow(/1 narration files for 0 clips/);
  });
});

describe("encodeNarration", () => {
  // The test tones peak at -18 dBFS; loudnorm to -16 LUFS lifts them by about 10 dB.
  it.each([
    ["as recorded", undefined, -30, -15],
    ["normalized to -16 LUFS", -16, -15, 0],
  ])(
    "places each cue at its start in a 48 kHz stereo AAC track of the exact total length (%s)",
    async (_, loudnessLufs, minPeakDb, maxPeakDb) => {
      const out = path.join(dir, `narration-${loudnessLufs ?? "raw"}.m4a`);
      await encodeNarration({
        cues: [
          { audioPath: speechA, startSeconds: 0.5 },
          { audioPath: speechB, startSeconds: 3 },
        ],
        totalSeconds: 5,
        outPath: out,
        profile: SMALL_PROFILE,
        loudnessLufs,
      });

      const info = await probeMedia(out);
      expect(info.durationSeconds).toBeCloseTo(5, 1);
      expect(info.streams).toHaveLength(1);
      expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
      expect(await maxVolumeDb(out, 0, 0.4)).toBeLessThan(-60);
      for (const speechStart of [0.6, 3.1]) {
        const peak = await maxVolumeDb(out, speechStart, 0.8);
        expect(peak).toBeGreaterThan(minPeakDb);
        expect(peak).toBeLessThan(maxPeakDb);
      }
      expect(await maxVolumeDb(out, 1.7, 1.2)).toBeLessThan(-60);
      expect(await maxVolumeDb(out, 4.2, 0.7)).toBeLessThan(-60);
    },
  );

  it("fades the outgoing section's speech out over the crossfade and cuts it where its segment ends", async () => {
    // Intro 2 s and main 2 s crossfading over 0.5 s: the main segment starts at 1.5 s, the intro's
    // ends at 2 s. Its speech (a 3 s tone) would run to 3 s; the main segment's starts at 1.5 s.
    const long = await renderLavfi(path.join(dir, "long.wav"), ["sine=frequency=440:sample_rate=22050"], 3, [
      "-c:a",
      "pcm_s16le",
    ]);
    const incoming = await renderLavfi(
      path.join(dir, "incoming.wav"),
      ["sine=frequency=3000:sample_rate=22050"],
      1,
      ["-c:a", "pcm_s16le"],
    );
    const clips = [
      { section: "intro", seconds: 2 },
      { section: "main", seconds: 2 },
    ] as const;
    const out = path.join(dir, "crossfaded.m4a");
    await encodeNarration({
      cues: narrationCues([long, incoming], clips, 0.5),
      totalSeconds: 3.5,
      outPath: out,
      profile: SMALL_PROFILE,
    });

    const low = "lowpass=f=600,lowpass=f=600,lowpass=f=600";
    const high = "highpass=f=2000,highpass=f=2000,highpass=f=2000";
    const outgoingFull = await meanVolumeDb(out, 0.5, 0.9, low);
    const outgoingFading = await meanVolumeDb(out, 1.8, 0.15, low);
    expect(outgoingFading).toBeLessThan(outgoingFull - 4);
    expect(outgoingFading).toBeGreaterThan(outgoingFull - 30);
    expect(await maxVolumeDb(out, 2.05, 0.9)).toBeGreaterThan(-30);
    expect(await meanVolumeDb(out, 2.05, 0.9, low)).toBeLessThan(outgoingFull - 40);
    // The incoming speech rises over its first 0.1 s, then plays at full level.
    const incomingStart = await meanVolumeDb(out, 1.5, 0.04, high);
    const incomingFull = await meanVolumeDb(out, 1.7, 0.5, high);
    expect(incomingStart).toBeLessThan(incomingFull - 3);
    expect(incomingFull).toBeGreaterThan(-30);
  });

  it("writes a 16-bit PCM WAV when the path ends in .wav", async () => {
    const out = path.join(dir, "narration.wav");
    await encodeNarration({
      cues: [{ audioPath: speechA, startSeconds: 0.5 }],
      totalSeconds: 2,
      outPath: out,
      profile: SMALL_PROFILE,
    });

    const info = await probeMedia(out);
    expect(info.durationSeconds).toBeCloseTo(2, 2);
    expect(audioStream(info)).toMatchObject({ codec: "pcm_s16le", sampleRate: 48_000, channels: 2 });
    expect(await maxVolumeDb(out, 0, 0.45)).toBeLessThan(-60);
    expect(await maxVolumeDb(out, 0.55, 0.5)).toBeGreaterThan(-30);
  });

  it("cuts speech that runs past the total length and writes silence without cues", async () => {
    const cut = path.join(dir, "cut.m4a");
    const silent = path.join(dir, "silent.m4a");
    await encodeNarration({
      cues: [{ audioPath: speechA, startSeconds: 1.5 }],
      totalSeconds: 2,
      outPath: cut,
      profile: SMALL_PROFILE,
    });
    await encodeNarration({ cues: [], totalSeconds: 1, outPath: silent, profile: SMALL_PROFILE });

    expect((await probeMedia(cut)).durationSeconds).toBeCloseTo(2, 1);
    expect(await maxVolumeDb(cut, 1.6, 0.3)).toBeGreaterThan(-30);
    expect((await probeMedia(silent)).durationSeconds).toBeCloseTo(1, 1);
    expect(await maxVolumeDb(silent, 0, 1)).toBeLessThan(-60);
  });
});
