/**
 * Helpers for the media tests: small profiles, generated inputs (sharp stills, lavfi sources) and
 * measurements of outputs (stream lookup, keyframes, audio level, frame colour). Everything runs
 * through runFfmpeg/runFfprobe, so it works on either backend.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { type CaptionCue, parseWebVtt } from "./captions";
import { runFfmpeg, runFfprobe } from "./ffmpeg";
import type { MediaInfo, ProbedStream } from "./probe";
import type { VideoProfile } from "./profile";

/** 320x180 at 24 fps, otherwise the canonical profile: fast to encode in tests. */
export const SMALL_PROFILE: VideoProfile = {
  width: 320,
  height: 180,
  fps: 24,
  audioSampleRate: 48_000,
  audioChannels: 2,
  gopSeconds: 1,
};

/** A fresh directory under os.tmpdir() and a function that removes it. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "kadr-media-test-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes a PNG of one colour (r, g, b in 0..255) and returns its path. */
export async function writeSolidImage(
  file: string,
  rgb: [number, number, number],
  width = 480,
  height = 320,
): Promise<string> {
  const [r, g, b] = rgb;
  await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toFile(file);
  return file;
}

/** Writes a PNG whose red rises left to right and green top to bottom, so any camera move shows. */
export async function writeGradientImage(file: string, width = 480, height = 320): Promise<string> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      pixels[offset] = Math.round((255 * x) / (width - 1));
      pixels[offset + 1] = Math.round((255 * y) / (height - 1));
      pixels[offset + 2] = 96;
    }
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
  return file;
}

/** Renders lavfi sources into `file` (e.g. ["testsrc=size=640x480:rate=30"], "-c:v libx264 ..."). */
export async function renderLavfi(file: string, sources: string[], seconds: number, encodeArgs: string[]) {
  const inputs = sources.flatMap((source) => ["-f", "lavfi", "-i", source]);
  await runFfmpeg([...inputs, "-t", String(seconds), ...encodeArgs, file], { inputs: [], outputs: [file] });
  return file;
}

/**
 * Renders a hard-to-compress test video into `file`: testsrc2 with temporal noise (`noise` 0..100),
 * `width`x`height` px at 24 fps for `seconds`, H.264 ultrafast at a fixed QP (lower = bigger file),
 * with a 440 Hz AAC tone. E.g. 320x180, noise 40, QP 32 is ~5 Mbit/s; 640x360, noise 30, QP 10 is
 * tens of Mbit/s.
 */
export async function writeNoisyVideo(
  file: string,
  options: { seconds: number; width: number; height: number; noise: number; qp: number },
): Promise<string> {
  const { seconds, width, height, noise, qp } = options;
  return renderLavfi(
    file,
    [
      `testsrc2=size=${width}x${height}:rate=24,noise=alls=${noise}:allf=t`,
      "sine=frequency=440:sample_rate=48000",
    ],
    seconds,
    ["-c:v", "libx264", "-preset", "ultrafast", "-qp", String(qp), "-pix_fmt", "yuv420p", "-c:a", "aac"],
  );
}

export function videoStream(info: MediaInfo): ProbedStream {
  return streamOfType(info, "video");
}

export function audioStream(info: MediaInfo): ProbedStream {
  return streamOfType(info, "audio");
}

function streamOfType(info: MediaInfo, type: ProbedStream["type"]): ProbedStream {
  const stream = info.streams.find((candidate) => candidate.type === type);
  if (!stream) throw new Error(`no ${type} stream in ${JSON.stringify(info)}`);
  return stream;
}

/**
 * Rewrites the first track's display matrix (tkhd) of an MP4 in place to the one phones write for
 * portrait video: turn 90° clockwise to display (ffprobe: rotation -90). ffmpeg 5.1 cannot write
 * rotation itself (-display_rotation came in 6.0). Layout: ISO/IEC 14496-12 §8.3.2.
 */
export async function setPortraitRotation(file: string): Promise<void> {
  const bytes = await readFile(file);
  const tkhd = bytes.indexOf("tkhd");
  if (tkhd < 0) throw new Error(`${file} has no tkhd box`);
  const version = bytes[tkhd + 4];
  // version/flags, times + track id + reserved + duration, reserved, layer, group, volume, reserved.
  const matrixOffset = tkhd + 4 + 4 + (version === 1 ? 32 : 20) + 8 + 8;
  const clockwise90 = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000];
  for (const [index, value] of clockwise90.entries()) bytes.writeInt32BE(value, matrixOffset + index * 4);
  await writeFile(file, bytes);
}

/** Every video packet in file order: presentation time in seconds, keyframe or not. */
export async function videoPackets(file: string): Promise<{ seconds: number; keyframe: boolean }[]> {
  const { stdout } = await runFfprobe(
    ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "json", file],
    { inputs: [file] },
  );
  const packets = (JSON.parse(stdout) as { packets: { pts_time: string; flags: string }[] }).packets;
  return packets.map((packet) => ({
    seconds: Number(packet.pts_time),
    keyframe: packet.flags.startsWith("K"),
  }));
}

/** Presentation times in seconds of the video keyframes. */
export async function keyframeSeconds(file: string): Promise<number[]> {
  return (await videoPackets(file)).filter((packet) => packet.keyframe).map((packet) => packet.seconds);
}

/** Peak level in dBFS of the audio between startSeconds and startSeconds + seconds (volumedetect). */
export async function maxVolumeDb(file: string, startSeconds: number, seconds: number): Promise<number> {
  const { stderr } = await runFfmpeg(
    [
      "-ss",
      String(startSeconds),
      "-t",
      String(seconds),
      "-i",
      file,
      "-af",
      "volumedetect",
      "-f",
      "null",
      "-",
    ],
    { inputs: [file], outputs: [] },
  );
  const match = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  if (!match) throw new Error(`volumedetect printed no max_volume:\n${stderr}`);
  return match[1] === "-inf" ? Number.NEGATIVE_INFINITY : Number(match[1]);
}

/** Average colour [r, g, b] (0..255) of the frame shown at `seconds`, or of a region of it. */
export async function frameRgbAt(
  file: string,
  seconds: number,
  region?: { left: number; top: number; width: number; height: number },
): Promise<[number, number, number]> {
  const { dir, cleanup } = await makeTempDir();
  try {
    const still = path.join(dir, "frame.png");
    await runFfmpeg(["-ss", String(seconds), "-i", file, "-frames:v", "1", still], {
      inputs: [file],
      outputs: [still],
    });
    // stats() reads the input image, not the pipeline: cut the region out first.
    const pixels = region ? await sharp(still).extract(region).png().toBuffer() : still;
    const { channels } = await sharp(pixels).stats();
    const [r, g, b] = channels.map((channel) => Math.round(channel.mean));
    return [r!, g!, b!];
  } finally {
    await cleanup();
  }
}

/** The cues of the first subtitle track, read back through ffmpeg's WebVTT muxer. */
export async function subtitleCues(file: string): Promise<CaptionCue[]> {
  const { dir, cleanup } = await makeTempDir();
  try {
    const vtt = path.join(dir, "track.vtt");
    await runFfmpeg(["-i", file, "-map", "0:s:0", "-f", "webvtt", vtt], { inputs: [file], outputs: [vtt] });
    return parseWebVtt(await readFile(vtt, "utf8"));
  } finally {
    await cleanup();
  }
}

/** Sets environment variables for the duration of `task`, then restores them. */
export async function withEnv<T>(
  vars: Record<string, string | undefined>,
  task: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await task();
  } finally {
    apply(saved);
  }
}

/**
 * Mean (RMS) level in dBFS of the audio between startSeconds and startSeconds + seconds, after the
 * optional audio filter `filter` (e.g. "lowpass=f=400" to hear only a low band).
 */
export async function meanVolumeDb(
  file: string,
  startSeconds: number,
  seconds: number,
  filter?: string,
): Promise<number> {
  // biome-ignore format: one option/value pair per line
  const args = [
    "-ss", String(startSeconds), "-t", String(seconds), "-i", file,
    "-af", [filter, "volumedetect"].filter(Boolean).join(","),
    "-f", "null", "-",
  ];
  const { stderr } = await runFfmpeg(args, { inputs: [file], outputs: [] });
  const match = /mean_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  if (!match) throw new Error(`volumedetect printed no mean_volume:\n${stderr}`);
  return match[1] === "-inf" ? Number.NEGATIVE_INFINITY : Number(match[1]);
}

/** Integrated loudness in LUFS of the whole audio track: the ebur128 filter's summary (EBU R128). */
export async function ebur128IntegratedLufs(file: string): Promise<number> {
  const { stderr } = await runFfmpeg(
    ["-i", file, "-map", "0:a:0", "-af", "ebur128=framelog=verbose", "-f", "null", "-"],
    { inputs: [file], outputs: [] },
  );
  const summary = stderr.slice(stderr.lastIndexOf("Integrated loudness:"));
  const match = /I:\s+(-?[\d.]+) LUFS/.exec(summary);
  if (!match) throw new Error(`ebur128 printed no summary:\n${stderr}`);
  return Number(match[1]);
}

/**
 * Integrated loudness in LUFS of the whole audio track, as loudnorm's analysis reads it: another
 * EBU R128 meter (libebur128's, at 192 kHz). On short, sparse programs it can read up to ~1 LU
 * lower than ebur128 (measured: −16.9 against −16.0 for 7 s of a tone over a music bed, where
 * the BS.1770 gating computed by hand from ebur128's momentary blocks gives −15.9).
 */
export async function loudnormIntegratedLufs(file: string): Promise<number> {
  const { stderr } = await runFfmpeg(
    ["-i", file, "-map", "0:a:0", "-af", "loudnorm=print_format=json", "-f", "null", "-"],
    { inputs: [file], outputs: [] },
  );
  const match = /"input_i"\s*:\s*"(-?[\d.]+|-inf)"/.exec(stderr);
  if (!match) throw new Error(`loudnorm printed no input_i:\n${stderr}`);
  return Number(match[1]);
}

/** start_time in seconds of the first video and the first audio stream (ffprobe). */
export async function streamStartSeconds(file: string): Promise<{ video: number; audio: number }> {
  const { stdout } = await runFfprobe(
    ["-v", "error", "-show_entries", "stream=codec_type,start_time", "-of", "json", file],
    { inputs: [file] },
  );
  const streams = (JSON.parse(stdout) as { streams: { codec_type: string; start_time: string }[] }).streams;
  const startOf = (type: string) => {
    const stream = streams.find((candidate) => candidate.codec_type === type);
    if (!stream) throw new Error(`no ${type} stream in ${file}`);
    return Number(stream.start_time);
  };
  return { video: startOf("video"), audio: startOf("audio") };
}

/**
 * When sound first rises above `thresholdDb` (dBFS) for at least 50 ms, in seconds from the start
 * of the file, after the optional audio filter (silencedetect's first silence_end); 0 when the file
 * starts with sound.
 */
export async function soundStartSeconds(file: string, filter?: string, thresholdDb = -40): Promise<number> {
  const { stderr } = await runFfmpeg(
    [
      "-i",
      file,
      "-map",
      "0:a:0",
      "-af",
      [filter, `silencedetect=noise=${thresholdDb}dB:duration=0.05`].filter(Boolean).join(","),
      "-f",
      "null",
      "-",
    ],
    { inputs: [file], outputs: [] },
  );
  const start = /silence_start: (-?[\d.]+)/.exec(stderr);
  if (!start || Number(start[1]) > 0.01) return 0;
  const end = /silence_end: (-?[\d.]+)/.exec(stderr);
  if (!end) throw new Error(`no sound above ${thresholdDb} dB in ${file}`);
  return Number(end[1]);
}
