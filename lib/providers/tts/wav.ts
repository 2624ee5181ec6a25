/**
 * Minimal RIFF/WAVE (PCM) header parsing.
 */

/** Format and layout of a PCM WAV file. */
export interface WavInfo {
  /** Samples per second per channel, in Hz (espeak-ng: 22050). */
  sampleRate: number;
  /** Channel count (espeak-ng: 1). */
  channels: number;
  /** Bits per sample (espeak-ng: 16). */
  bitsPerSample: number;
  /** Byte offset of the first sample. */
  dataOffset: number;
  /** Length of the sample data in bytes (clamped to the bytes actually present). */
  dataBytes: number;
  /** `dataBytes / (sampleRate × channels × bitsPerSample / 8)`, in seconds. */
  durationSeconds: number;
}

/**
 * Parses the header of a RIFF/WAVE file with a PCM (format 1) or extensible `fmt ` chunk, walking
 * the chunk list to the `data` chunk.
 *
 * @throws Error when the buffer is not a RIFF/WAVE file or lacks a valid `fmt ` or `data` chunk.
 */
export function parseWav(wav: Buffer): WavInfo {
  if (wav.length < 12 || wav.toString("ascii", 0, 4) !== "RIFF" || wav.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("not a RIFF/WAVE file");
  }
  let offset = 12;
  let fmt: { sampleRate: number; channels: number; bitsPerSample: number } | null = null;
  while (offset + 8 <= wav.length) {
    const id = wav.toString("ascii", offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > wav.length) throw new Error("WAV fmt chunk is truncated");
      fmt = {
        channels: wav.readUInt16LE(body + 2),
        sampleRate: wav.readUInt32LE(body + 4),
        bitsPerSample: wav.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (!fmt) throw new Error("WAV data chunk comes before the fmt chunk");
      const { sampleRate, channels, bitsPerSample } = fmt;
      const bytesPerSecond = (sampleRate * channels * bitsPerSample) / 8;
      if (bytesPerSecond <= 0)
        throw new Error("WAV fmt chunk has a zero sample rate, channel count or sample size");
      const dataBytes = Math.min(size, wav.length - body);
      return {
        sampleRate,
        channels,
        bitsPerSample,
        dataOffset: body,
        dataBytes,
        durationSeconds: dataBytes / bytesPerSecond,
      };
    }
    offset = body + size + (size % 2);
  }
  throw new Error("WAV file has no data chunk");
}

/**
 * Wraps raw 16-bit little-endian PCM (OpenAI `pcm`, ElevenLabs `pcm_24000`) in a 44-byte
 * RIFF/WAVE header (format 1).
 *
 * @param pcm interleaved samples; an odd trailing byte is dropped.
 * @param sampleRate samples per second per channel, in Hz.
 * @param channels channel count (default 1).
 */
export function pcm16ToWav(pcm: Buffer, sampleRate: number, channels = 1): Buffer {
  const data = pcm.subarray(0, pcm.length - (pcm.length % 2));
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
