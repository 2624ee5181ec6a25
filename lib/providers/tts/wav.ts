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
