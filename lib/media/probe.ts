/**
 * Media inspection through ffprobe's JSON writer. Both backends run a real ffprobe: @ffmpeg/core
 * 0.12.10 exports one beside ffmpeg (Module.ffprobe), so no parsing of `ffmpeg -i` logs is needed.
 * ffprobe docs: https://ffmpeg.org/ffprobe.html
 */
import { stat } from "node:fs/promises";
import { MediaError } from "./errors";
import { runFfprobe } from "./ffmpeg";

export interface ProbedStream {
  type: "video" | "audio" | "subtitle";
  /** ffmpeg codec name: "h264", "aac", "pcm_s16le", ... */
  codec: string;
  /** Codec profile as ffprobe names it ("High", "LC"), when known. */
  profile?: string;
  /** Stream duration in seconds, when the container states it. */
  durationSeconds?: number;
  /** Video: frame size in px. */
  width?: number;
  height?: number;
  /** Video: average frame rate in frames per second. */
  fps?: number;
  /** Video: pixel format ("yuv420p"). */
  pixFmt?: string;
  /** Video: frame count stated by the container (mp4 sample count). */
  frameCount?: number;
  /**
   * Video: the container's display rotation in degrees, as ffprobe states it (phone portrait video:
   * -90, i.e. turn 90° clockwise to display); undefined when the picture is stored upright.
   */
  rotationDegrees?: number;
  /** Audio: sample rate in Hz. */
  sampleRate?: number;
  /** Audio: channel count. */
  channels?: number;
  /** SHA-256 of the codec extradata (H.264: SPS/PPS); equal hashes can be stream-copied together. */
  extradataHash?: string;
  /** Language tag of the stream (ISO 639-2, "und" when unknown), when the container has one. */
  language?: string;
}

export interface MediaInfo {
  /** Container duration in seconds. */
  durationSeconds: number;
  /** Video, audio and subtitle streams in file order (other stream kinds are left out). */
  streams: ProbedStream[];
  /** ffmpeg demuxer name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  /** File size in bytes. */
  bytes: number;
}

// biome-ignore format: one option/value pair per line
const PROBE_ARGS = [
  "-v", "error",
  "-print_format", "json",
  "-show_format",
  "-show_streams",
  "-show_data_hash", "SHA256", // adds extradata_hash to each stream
];

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  duration?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  pix_fmt?: string;
  nb_frames?: string;
  sample_rate?: string;
  channels?: number;
  extradata_hash?: string;
  tags?: { language?: string };
  side_data_list?: { rotation?: number }[];
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string };
}

/**
 * Probes `filePath` (absolute path).
 * @throws MediaError PROBE_FAILED when the file is missing or ffprobe cannot read it.
 */
export async function probeMedia(filePath: string): Promise<MediaInfo> {
  const bytes = await fileSize(filePath);
  const { stdout, stderr } = await runFfprobe([...PROBE_ARGS, filePath], { inputs: [filePath] });
  const output = parseReport(stdout);
  if (!output?.format) throw new MediaError("PROBE_FAILED", `ffprobe could not read ${filePath}`, stderr);
  return {
    durationSeconds: Number(output.format.duration ?? 0),
    streams: (output.streams ?? []).flatMap(toProbedStream),
    formatName: output.format.format_name ?? "",
    bytes,
  };
}

async function fileSize(filePath: string): Promise<number> {
  try {
    return (await stat(filePath)).size;
  } catch (error) {
    throw new MediaError("PROBE_FAILED", `cannot read ${filePath}: ${String(error)}`);
  }
}

function parseReport(stdout: string): FfprobeOutput | undefined {
  try {
    return JSON.parse(stdout) as FfprobeOutput;
  } catch {
    return undefined;
  }
}

function toProbedStream(stream: FfprobeStream): ProbedStream[] {
  const common = {
    codec: stream.codec_name ?? "unknown",
    profile: stream.profile,
    durationSeconds: optionalNumber(stream.duration),
    extradataHash: stream.extradata_hash,
    language: stream.tags?.language,
  };
  if (stream.codec_type === "video") {
    return [
      {
        type: "video",
        ...common,
        width: stream.width,
        height: stream.height,
        fps: frameRate(stream.avg_frame_rate) ?? frameRate(stream.r_frame_rate),
        pixFmt: stream.pix_fmt,
        frameCount: optionalNumber(stream.nb_frames),
        rotationDegrees:
          stream.side_data_list?.find((data) => data.rotation !== undefined)?.rotation || undefined,
      },
    ];
  }
  if (stream.codec_type === "audio") {
    return [
      { type: "audio", ...common, sampleRate: optionalNumber(stream.sample_rate), channels: stream.channels },
    ];
  }
  if (stream.codec_type === "subtitle") return [{ type: "subtitle", ...common }];
  return [];
}

/** "24/1" → 24; "0/0" or missing → undefined. */
function frameRate(ratio: string | undefined): number | undefined {
  const [num, den] = (ratio ?? "").split("/").map(Number);
  return num && den ? num / den : undefined;
}

function optionalNumber(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) ? parsed : undefined;
}
