import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AssembleOptions, type AssemblyClip, assembleFull, assembleVideo } from "./assemble";
import { renderKenBurnsClip } from "./kenburns";
import { parseIntegratedLufs, speechSpans } from "./loudness";
import { defaultMusicBed, duckEnvelope, MUSIC_BED_SECONDS } from "./music";
import { encodeNarration } from "./narration";
import { probeMedia } from "./probe";
import {
  audioStream,
  ebur128IntegratedLufs,
  loudnormIntegratedLufs,
  makeTempDir,
  meanVolumeDb,
  renderLavfi,
  SMALL_PROFILE,
  soundStartSeconds,
  streamStartSeconds,
  videoStream,
  withEnv,
  writeSolidImage,
} from "./test-support";

/** The default bed lives under ~1.2 kHz, the voice stand-in is a 3 kHz tone: bands tell them apart. */
const MUSIC_BAND = "lowpass=f=1200,lowpass=f=1200,lowpass=f=1200";
const VOICE_BAND = "highpass=f=2500,highpass=f=2500,highpass=f=2500";
const STILL = { zoomFrom: 1, zoomTo: 1, panX: 0, panY: 0 };

let dir: string;
let cleanup: () => Promise<void>;
let clips: AssemblyClip[];
let bed: string;
/** 7 s of narration (WAV): a 3 kHz tone from 1.5 to 2.7 s, silence elsewhere. */
let narrationWav: string;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  const sections = ["intro", "main", "main", "outro"] as const;
  clips = await Promise.all(
    sections.map(async (section, index) => {
      const imagePath = await writeSolidImage(path.join(dir, `c${index}.png`), [60 * index, 90, 200]);
      const outPath = path.join(dir, `c${index}.mp4`);
      await renderKenBurnsClip({ imagePath, outPath, seconds: 2, profile: SMALL_PROFILE, motion: STILL });
      return { path: outPath, seconds: 2, section };
    }),
  );
  bed = (await defaultMusicBed({ outPath: path.join(dir, "bed.wav") })).path;
  const voice = await renderLavfi(
    path.join(dir, "voice.wav"),
    ["sine=frequency=3000:sample_rate=22050"],
    1.2,
    ["-c:a", "pcm_s16le"],
  );
  narrationWav = path.join(dir, "narration.wav");
  await encodeNarration({
    cues: [{ audioPath: voice, startSeconds: 1.5 }],
    totalSeconds: 7,
    outPath: narrationWav,
    profile: SMALL_PROFILE,
  });
});
afterAll(() => cleanup());

describe("defaultMusicBed", () => {
  it("writes a deterministic, seamlessly looping 16 s stereo pad under 1.2 kHz", async () => {
    const again = path.join(dir, "bed-again.wav");
    await defaultMusicBed({ outPath: again });

    const info = await probeMedia(bed);
    expect(info.durationSeconds).toBeCloseTo(MUSIC_BED_SECONDS, 2);
    expect(audioStream(info)).toMatchObject({ codec: "pcm_s16le", sampleRate: 48_000, channels: 2 });
    const bytes = await readFile(bed);
    expect((await readFile(again)).equals(bytes)).toBe(true);
    // The step from the last sample to the first is no bigger than the steps inside the file.
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset + 44, (bytes.length - 44) / 2);
    let largestStep = 0;
    for (let index = 2; index < samples.length; index++) {
      largestStep = Math.max(largestStep, Math.abs(samples[index]! - samples[index - 2]!));
    }
    for (const channel of [0, 1]) {
      const seam = Math.abs(samples[channel]! - samples[samples.length - 2 + channel]!);
      expect(seam).toBeLessThanOrEqual(largestStep);
    }
    expect(largestStep).toBeGreaterThan(0);
    // Audible, soft, and dark: the band above 3 kHz is far below the band under 1.2 kHz.
    const lufs = await loudnormIntegratedLufs(bed);
    expect(lufs).toBeGreaterThan(-22);
    expect(lufs).toBeLessThan(-12);
    const low = await meanVolumeDb(bed, 0, 16, MUSIC_BAND);
    const high = await meanVolumeDb(bed, 0, 16, "highpass=f=3000,highpass=f=3000");
    expect(high).toBeLessThan(low - 30);
  });

  it("rejects a sample rate it cannot write", async () => {
    await expect(
      defaultMusicBed({ outPath: path.join(dir, "x.wav"), sampleRate: 1000 }),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });
});

/** The checks every music assembly must pass; returns the ducking depth in dB. */
async function expectMusicBedUnderNarration(file: string, targetLufs: number): Promise<number> {
  const info = await probeMedia(file);
  expect(info.durationSeconds).toBeCloseTo(7, 1);
  expect(videoStream(info)).toMatchObject({ codec: "h264", width: 320, height: 180, frameCount: 7 * 24 });
  expect(audioStream(info)).toMatchObject({ codec: "aac", sampleRate: 48_000, channels: 2 });
  expect(audioStream(info).durationSeconds).toBeCloseTo(7, 1);
  const starts = await streamStartSeconds(file);
  expect(Math.abs(starts.audio - starts.video)).toBeLessThan(0.02);
  // The voice starts where the narration put it (1.5 s), within 20 ms.
  expect(Math.abs((await soundStartSeconds(file, VOICE_BAND, -45)) - 1.5)).toBeLessThan(0.02);
  expect(Math.abs((await ebur128IntegratedLufs(file)) - targetLufs)).toBeLessThanOrEqual(1);
  expect(Math.abs((await loudnormIntegratedLufs(file)) - targetLufs)).toBeLessThanOrEqual(1.5);
  // Music alone in a gap (release ends 3.3 s, fade-out starts at 6 s) vs under the voice.
  const musicInGap = await meanVolumeDb(file, 4, 1.8, MUSIC_BAND);
  const musicUnderVoice = await meanVolumeDb(file, 1.7, 0.9, MUSIC_BAND);
  expect(musicInGap).toBeGreaterThan(-45);
  expect(musicInGap - musicUnderVoice).toBeGreaterThanOrEqual(6);
  // The voice is well above the ducked music.
  const voice = await meanVolumeDb(file, 1.7, 0.9, VOICE_BAND);
  expect(voice).toBeGreaterThan(musicUnderVoice + 5);
  if (process.env.KADR_TEST_REPORT) {
    const report = {
      file: path.basename(file),
      lufs: await ebur128IntegratedLufs(file),
      loudnorm: await loudnormIntegratedLufs(file),
      musicInGap,
      musicUnderVoice,
      voice,
    };
    console.log(JSON.stringify(report));
  }
  return musicInGap - musicUnderVoice;
}

describe("assembleVideo with a music bed", () => {
  const options = (outPath: string): AssembleOptions => ({
    clips,
    narrationPath: narrationWav,
    profile: SMALL_PROFILE,
    outPath,
    music: { path: bed, fadeOutSeconds: 1 },
  });

  it.each(["native", "wasm"] as const)(
    "loops, ducks and normalizes the bed to -16 LUFS while the video stays a stream copy (%s)",
    async (backend) => {
      const outPath = path.join(dir, `music-${backend}.mp4`);
      const result = await withEnv({ KADR_FFMPEG: backend }, () => assembleVideo(options(outPath)));

      expect(result.mode).toBe("smart");
      const duckDb = await expectMusicBedUnderNarration(outPath, -16);
      // The default duck is 12 dB (measured 13.9 in the music band: the pad itself moves by ~2 dB).
      expect(duckDb).toBeGreaterThan(11);
      expect(duckDb).toBeLessThan(16);
    },
  );

  it("mixes the same soundtrack in the full re-encode, to another loudness and duck depth", async () => {
    const outPath = path.join(dir, "music-full.mp4");
    const base = options(outPath);
    await assembleFull({ ...base, music: { ...base.music!, duckDb: 8 }, loudnessLufs: -20 });

    const duckDb = await expectMusicBedUnderNarration(outPath, -20);
    // 4 dB less than the default 12 dB (measured 9.9).
    expect(duckDb).toBeGreaterThan(7);
    expect(duckDb).toBeLessThan(11);
  });

  it("normalizes narration alone to the target loudness when loudnessLufs is set", async () => {
    const quiet = await renderLavfi(
      path.join(dir, "quiet.wav"),
      ["sine=frequency=500:sample_rate=22050"],
      5,
      ["-af", "volume=-30dB", "-c:a", "pcm_s16le"],
    );
    const narrationPath = path.join(dir, "quiet.m4a");
    await encodeNarration({
      cues: [{ audioPath: quiet, startSeconds: 1 }],
      totalSeconds: 7,
      outPath: narrationPath,
      profile: SMALL_PROFILE,
    });
    expect(await loudnormIntegratedLufs(narrationPath)).toBeLessThan(-40);
    const outPath = path.join(dir, "loud-narration.mp4");

    const result = await assembleVideo({
      clips,
      narrationPath,
      profile: SMALL_PROFILE,
      outPath,
      loudnessLufs: -16,
    });

    expect(result.mode).toBe("smart");
    expect(Math.abs((await ebur128IntegratedLufs(outPath)) - -16)).toBeLessThanOrEqual(1);
    expect(Math.abs((await loudnormIntegratedLufs(outPath)) - -16)).toBeLessThanOrEqual(1);
    expect(Math.abs((await soundStartSeconds(outPath)) - 1)).toBeLessThan(0.02);
    expect(audioStream(await probeMedia(outPath))).toMatchObject({ codec: "aac", sampleRate: 48_000 });
  });

  it.each([
    ["a loudness target above -5 LUFS", { loudnessLufs: 0 }, /loudnessLufs/],
    ["a bed louder than the narration", { music: { path: "/bed.wav", levelDb: 3 } }, /levelDb/],
    ["a negative duck", { music: { path: "/bed.wav", duckDb: -6 } }, /duckDb/],
  ])("rejects %s", async (_, extra: Partial<AssembleOptions>, message) => {
    const outPath = path.join(dir, "rejected.mp4");
    await expect(assembleVideo({ ...options(outPath), ...extra })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringMatching(message),
    });
  });
});

describe("loudness helpers", () => {
  it("reads the last integrated loudness of an ebur128 log and clamps silence to -70", () => {
    const log = "  I:         -70.0 LUFS\n...\n  Integrated loudness:\n    I:         -23.4 LUFS\n";
    expect(parseIntegratedLufs(log)).toBe(-23.4);
    expect(parseIntegratedLufs("    I:         -inf LUFS\n")).toBe(-70);
    expect(() => parseIntegratedLufs("nothing")).toThrow(/no integrated loudness/);
  });

  it("turns silencedetect's silences into speech spans", () => {
    const log = [
      "[silencedetect @ 0x1] silence_start: 0",
      "[silencedetect @ 0x1] silence_end: 1.5 | silence_duration: 1.5",
      "[silencedetect @ 0x1] silence_start: 2.7",
      "[silencedetect @ 0x1] silence_end: 4 | silence_duration: 1.3",
      "[silencedetect @ 0x1] silence_start: 5",
    ].join("\n");
    expect(speechSpans(log, 7)).toEqual([
      { startSeconds: 1.5, endSeconds: 2.7 },
      { startSeconds: 4, endSeconds: 5 },
    ]);
    expect(speechSpans("", 3)).toEqual([{ startSeconds: 0, endSeconds: 3 }]);
  });

  it("builds one ramp per merged speech span, none without ducking", () => {
    const spans = [
      { startSeconds: 1, endSeconds: 2 },
      { startSeconds: 2.5, endSeconds: 3 },
      { startSeconds: 6, endSeconds: 7 },
    ];
    const envelope = duckEnvelope(spans, 12, 8);
    // 2 → 2.5 is closer than attack + release: merged; 12 dB is a gain of 0.251.
    expect(envelope?.match(/clip\(\(t-/g)).toHaveLength(2);
    expect(envelope).toContain("1-0.74881*min(1\\,");
    expect(duckEnvelope(spans, 0, 8)).toBeUndefined();
    expect(duckEnvelope([], 12, 8)).toBeUndefined();
  });
});
