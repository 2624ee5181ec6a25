import { describe, expect, it } from "vitest";
import { parseWav, pcm16ToWav } from "./wav";

function wavFile(opts: {
  sampleRate: number;
  channels: number;
  bits: number;
  dataBytes: number;
  extraChunk?: boolean;
}): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write("fmt ", 0, "ascii");
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(opts.channels, 10);
  fmt.writeUInt32LE(opts.sampleRate, 12);
  fmt.writeUInt32LE((opts.sampleRate * opts.channels * opts.bits) / 8, 16);
  fmt.writeUInt16LE((opts.channels * opts.bits) / 8, 20);
  fmt.writeUInt16LE(opts.bits, 22);
  const list = Buffer.alloc(opts.extraChunk ? 13 + 1 : 0); // odd-sized chunk + pad byte
  if (opts.extraChunk) {
    list.write("LIST", 0, "ascii");
    list.writeUInt32LE(5, 4);
  }
  const dataHeader = Buffer.alloc(8);
  dataHeader.write("data", 0, "ascii");
  dataHeader.writeUInt32LE(opts.dataBytes, 4);
  const body = Buffer.concat([
    Buffer.from("WAVE", "ascii"),
    fmt,
    list,
    dataHeader,
    Buffer.alloc(opts.dataBytes),
  ]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "ascii");
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe("parseWav", () => {
  it("reads format and duration, skipping other chunks", () => {
    const info = parseWav(
      wavFile({ sampleRate: 22050, channels: 1, bits: 16, dataBytes: 44100, extraChunk: true }),
    );
    expect(info).toMatchObject({ sampleRate: 22050, channels: 1, bitsPerSample: 16, dataBytes: 44100 });
    expect(info.durationSeconds).toBeCloseTo(1, 6);
    expect(
      parseWav(wavFile({ sampleRate: 48000, channels: 2, bits: 16, dataBytes: 96000 })).durationSeconds,
    ).toBeCloseTo(0.5, 6);
  });

  it("clamps a data size larger than the file", () => {
    const wav = wavFile({ sampleRate: 8000, channels: 1, bits: 8, dataBytes: 800 });
    wav.writeUInt32LE(0xffffffff, wav.length - 800 - 4);
    expect(parseWav(wav).durationSeconds).toBeCloseTo(0.1, 6);
  });

  it("rejects non-WAV data", () => {
    expect(() => parseWav(Buffer.from("not a wav file at all"))).toThrow(/RIFF/);
    const noData = wavFile({ sampleRate: 8000, channels: 1, bits: 8, dataBytes: 0 }).subarray(0, 12 + 24);
    expect(() => parseWav(Buffer.from(noData))).toThrow(/no data chunk/);
  });
});

describe("pcm16ToWav", () => {
  it("writes a header parseWav reads back, dropping an odd trailing byte", () => {
    const wav = pcm16ToWav(Buffer.alloc(48_001), 24_000);
    expect(wav.length).toBe(44 + 48_000);
    expect(parseWav(wav)).toEqual({
      sampleRate: 24_000,
      channels: 1,
      bitsPerSample: 16,
      dataOffset: 44,
      dataBytes: 48_000,
      durationSeconds: 1,
    });
  });
});
