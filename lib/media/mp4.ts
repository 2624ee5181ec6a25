/**
 * Reads the video sample description of an MP4 straight from its boxes: what the smart render must
 * compare on every clip before joining them by stream copy, at ~1 ms a file instead of an ffprobe
 * process (~80 ms). Box layout: ISO/IEC 14496-12 (ISO base media file format) §8 — moov/trak/mdia/
 * minf/stbl/stsd, VisualSampleEntry, stsz — and ISO/IEC 14496-15 §5.3 (avcC).
 */
import { open } from "node:fs/promises";
import { MediaError } from "./errors";

export interface Mp4VideoTrack {
  /** Sample entry type: "avc1" for H.264 with parameter sets in avcC. */
  codec: string;
  /** Frame size in px, as the sample entry states it. */
  width: number;
  height: number;
  /** Number of video samples (frames). */
  sampleCount: number;
  /** The decoder configuration record (avcC payload: SPS/PPS); empty when the entry has none. */
  decoderConfig: Buffer;
}

interface Box {
  type: string;
  /** Offset of the payload (after the box header). */
  start: number;
  /** Offset just past the box. */
  end: number;
}

/** SampleEntry (8 bytes) + VisualSampleEntry fields (70 bytes) before the child boxes. */
const VISUAL_SAMPLE_ENTRY_BYTES = 78;
const WIDTH_OFFSET = 24;

/**
 * The first video track of an MP4/MOV file, or undefined when it has none.
 * @throws MediaError PROBE_FAILED when the file cannot be read or has no moov box.
 */
export async function readMp4VideoTrack(file: string): Promise<Mp4VideoTrack | undefined> {
  const moov = await readMoov(file);
  for (const trak of childBoxes(moov, 0, moov.length, "trak")) {
    const track = videoTrack(moov, trak);
    if (track) return track;
  }
  return undefined;
}

/**
 * The presentation duration of an MP4/MOV file in seconds, from its movie header (mvhd: duration /
 * timescale, ISO/IEC 14496-12 §8.2.2) — what ffprobe reports as the format duration, without
 * starting a process.
 * @throws MediaError PROBE_FAILED when the file cannot be read or has no moov/mvhd box.
 */
export async function readMp4DurationSeconds(file: string): Promise<number> {
  const moov = await readMoov(file);
  const mvhd = childBoxes(moov, 0, moov.length, "mvhd")[0];
  if (!mvhd) throw new MediaError("PROBE_FAILED", `${file} has no mvhd box`);
  const version = moov.readUInt8(mvhd.start);
  // version/flags (4), then creation and modification times (4 or 8 bytes each).
  const timescaleAt = mvhd.start + 4 + (version === 1 ? 16 : 8);
  const timescale = moov.readUInt32BE(timescaleAt);
  const duration =
    version === 1 ? Number(moov.readBigUInt64BE(timescaleAt + 4)) : moov.readUInt32BE(timescaleAt + 4);
  if (timescale === 0) throw new MediaError("PROBE_FAILED", `${file} has a movie timescale of 0`);
  return duration / timescale;
}

/** Loads the moov box, walking the top-level boxes by their headers (moov may follow mdat). */
async function readMoov(file: string): Promise<Buffer> {
  const handle = await open(file, "r").catch((error: unknown) => {
    throw new MediaError("PROBE_FAILED", `cannot read ${file}: ${String(error)}`);
  });
  try {
    const { size: fileSize } = await handle.stat();
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset + 8 <= fileSize) {
      await handle.read(header, 0, 16, offset);
      const { type, headerBytes, size } = boxHeader(header, 0, fileSize - offset);
      if (type === "moov") {
        const moov = Buffer.alloc(size - headerBytes);
        await handle.read(moov, 0, moov.length, offset + headerBytes);
        return moov;
      }
      offset += size;
    }
    throw new MediaError("PROBE_FAILED", `${file} has no moov box`);
  } finally {
    await handle.close();
  }
}

function videoTrack(moov: Buffer, trak: Box): Mp4VideoTrack | undefined {
  const stbl = descend(moov, trak, ["mdia", "minf", "stbl"]);
  const stsd = stbl && childBoxes(moov, stbl.start, stbl.end, "stsd")[0];
  const stsz = stbl && childBoxes(moov, stbl.start, stbl.end, "stsz")[0];
  // stsd: version/flags (4) + entry count (4), then the sample entries.
  const entry = stsd && childBoxes(moov, stsd.start + 8, stsd.end)[0];
  if (!(entry && stsz) || entry.end - entry.start < VISUAL_SAMPLE_ENTRY_BYTES) return undefined;
  const handler = descend(moov, trak, ["mdia", "hdlr"]);
  // hdlr: version/flags (4) + pre_defined (4) + handler type.
  if (!handler || moov.toString("latin1", handler.start + 8, handler.start + 12) !== "vide") return undefined;
  const avcC = childBoxes(moov, entry.start + VISUAL_SAMPLE_ENTRY_BYTES, entry.end, "avcC")[0];
  return {
    codec: entry.type,
    width: moov.readUInt16BE(entry.start + WIDTH_OFFSET),
    height: moov.readUInt16BE(entry.start + WIDTH_OFFSET + 2),
    // stsz: version/flags (4) + sample size (4) + sample count.
    sampleCount: moov.readUInt32BE(stsz.start + 8),
    decoderConfig: avcC ? moov.subarray(avcC.start, avcC.end) : Buffer.alloc(0),
  };
}

/** Follows a path of box types from `box`, taking the first match at each level. */
function descend(buffer: Buffer, box: Box, path: string[]): Box | undefined {
  let current: Box | undefined = box;
  for (const type of path) current = current && childBoxes(buffer, current.start, current.end, type)[0];
  return current;
}

/** The boxes laid out in buffer[start, end), optionally only those of one type. */
function childBoxes(buffer: Buffer, start: number, end: number, type?: string): Box[] {
  const boxes: Box[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    const header = boxHeader(buffer, offset, end - offset);
    if (!type || header.type === type) {
      boxes.push({ type: header.type, start: offset + header.headerBytes, end: offset + header.size });
    }
    offset += header.size;
  }
  return boxes;
}

/** Size (32-bit, 64-bit "largesize", or 0 = to the end) and type of the box at `offset`. */
function boxHeader(buffer: Buffer, offset: number, available: number) {
  const type = buffer.toString("latin1", offset + 4, offset + 8);
  const compactSize = buffer.readUInt32BE(offset);
  const headerBytes = compactSize === 1 ? 16 : 8;
  const size =
    compactSize === 1
      ? Number(buffer.readBigUInt64BE(offset + 8))
      : compactSize === 0
        ? available
        : compactSize;
  if (size < headerBytes || size > available) {
    throw new MediaError(
      "PROBE_FAILED",
      `malformed MP4 box "${type}" (${size} bytes, ${available} available)`,
    );
  }
  return { type, headerBytes, size };
}
