import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  captionBand,
  createLocalImage,
  editLocalImage,
  escapeXml,
  localEditOf,
  renderLocalImage,
  upscaleLocalImage,
} from "./local";

async function raw(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, info };
}

/** Mean absolute difference per channel (0–255) between two same-size images, optionally within rows [top, bottom). */
async function meanAbsDiff(a: Buffer, b: Buffer, rows?: [number, number]): Promise<number> {
  const [ra, rb] = await Promise.all([raw(a), raw(b)]);
  expect(ra.info.width).toBe(rb.info.width);
  const rowBytes = ra.info.width * ra.info.channels;
  const [top, bottom] = rows ?? [0, ra.info.height];
  let sum = 0;
  for (let i = top * rowBytes; i < bottom * rowBytes; i++) sum += Math.abs(ra.data[i]! - rb.data[i]!);
  return sum / ((bottom - top) * rowBytes);
}

/** Pixels whose three channels are all ≥ 230 (the white caption text) within rows [top, bottom). */
async function whitePixels(png: Buffer, top: number, bottom: number): Promise<number> {
  const { data, info } = await raw(png);
  let n = 0;
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * info.channels;
      if (data[i]! >= 230 && data[i + 1]! >= 230 && data[i + 2]! >= 230) n++;
    }
  }
  return n;
}

const base = { prompt: "flat illustration; wide shot; coffee beans", caption: "", seed: 7 };

describe("local image provider", () => {
  it.each([
    [1280, 720],
    [720, 1280],
    [1080, 1080],
  ])("renders an RGB PNG of %ix%i", async (width, height) => {
    const image = createLocalImage();
    expect(image.name).toBe("local");
    const png = await image.renderImage({ ...base, caption: "Как варят кофе", width, height });
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(["png", width, height, 3]);
  });

  it("is deterministic, and differs substantially between prompts and between seeds", async () => {
    const size = { width: 640, height: 360 };
    const a = await renderLocalImage({ ...base, ...size });
    expect(await renderLocalImage({ ...base, ...size })).toEqual(a);
    const otherPrompt = await renderLocalImage({
      ...base,
      ...size,
      prompt: "flat illustration; close-up; grinder",
    });
    const otherSeed = await renderLocalImage({ ...base, ...size, seed: 8 });
    expect(await meanAbsDiff(a, otherPrompt)).toBeGreaterThan(25);
    expect(await meanAbsDiff(a, otherSeed)).toBeGreaterThan(25);
    const stringSeed = await renderLocalImage({ ...base, ...size, seed: "sha256:abc" });
    expect(await meanAbsDiff(a, stringSeed)).toBeGreaterThan(25);
  });

  it("draws the caption in a dark band above the bottom margin and nowhere else", async () => {
    const size = { width: 1280, height: 720 };
    const caption = "Шаг 1: обжарка зёрен & <помол>";
    const band = captionBand(caption, size.width, size.height)!;
    expect(band.top).toBeGreaterThan(size.height * 0.7);
    expect(band.top + band.height).toBe(size.height - Math.round(size.height * 0.1));
    const plain = await renderLocalImage({ ...base, ...size });
    const captioned = await renderLocalImage({ ...base, ...size, caption });
    expect(await meanAbsDiff(plain, captioned, [0, band.top])).toBe(0);
    expect(await meanAbsDiff(plain, captioned, [band.top + band.height, size.height])).toBe(0);
    expect(await meanAbsDiff(plain, captioned, [band.top, band.top + band.height])).toBeGreaterThan(20);
    const textPixels =
      (await whitePixels(captioned, band.top, size.height)) -
      (await whitePixels(plain, band.top, size.height));
    expect(textPixels).toBeGreaterThan(1500);
  });

  it("renders Cyrillic with real glyphs (Cyrillic and Latin look-alikes draw the same)", async () => {
    const size = { width: 1280, height: 720 };
    const band = captionBand("АЕОСР", size.width, size.height)!;
    const cyrillic = await renderLocalImage({ ...base, ...size, caption: "АЕОСР" });
    const latin = await renderLocalImage({ ...base, ...size, caption: "AEOCP" });
    const other = await renderLocalImage({ ...base, ...size, caption: "ЖЖЖЖЖ" });
    const missingGlyphs = await renderLocalImage({ ...base, ...size, caption: "\u{10FFFD}".repeat(5) });
    expect(await meanAbsDiff(cyrillic, latin, [band.top, size.height])).toBeLessThan(0.01);
    expect(await meanAbsDiff(cyrillic, other, [band.top, size.height])).toBeGreaterThan(0.3);
    expect(await meanAbsDiff(cyrillic, missingGlyphs, [band.top, size.height])).toBeGreaterThan(0.3);
  });

  it("wraps long captions to two lines with an ellipsis", () => {
    const band = captionBand(`${"слово ".repeat(40)}конец`, 720, 1280)!;
    expect(band.lines).toHaveLength(2);
    expect(band.lines[1]!.endsWith("…")).toBe(true);
    expect(captionBand("   ", 720, 1280)).toBeNull();
  });

  it("escapes XML", () => {
    expect(escapeXml(`a & b < c > "d" 'e'\u0001`)).toBe("a &amp; b &lt; c &gt; &quot;d&quot; &apos;e&apos;");
  });

  it("rejects invalid sizes", async () => {
    await expect(renderLocalImage({ ...base, width: 0, height: 720 })).rejects.toThrow(RangeError);
    await expect(renderLocalImage({ ...base, width: 1280.5, height: 720 })).rejects.toThrow(RangeError);
    await expect(renderLocalImage({ ...base, width: 1280, height: 5000 })).rejects.toThrow(/height must be/);
  });
});

describe("local image edits and upscales", () => {
  const size = { width: 640, height: 360 };

  it("applies a named colour visibly, writes the instruction at the top, and is deterministic", async () => {
    const image = createLocalImage();
    const source = await renderLocalImage({ ...base, ...size });
    const edit = { image: source, instruction: "make the sky red", ...size, seed: 1 };
    const edited = await image.editImage!(edit);
    const meta = await sharp(edited).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(["png", 640, 360, 3]);
    expect(await image.editImage!(edit)).toEqual(edited);
    expect(await meanAbsDiff(source, edited)).toBeGreaterThan(10);
    // Red dominates the edited picture's mean colour (the source's hue is unrelated).
    const { channels } = await sharp(edited).stats();
    expect(channels[0]!.mean).toBeGreaterThan(channels[1]!.mean);
    expect(channels[0]!.mean).toBeGreaterThan(channels[2]!.mean);
    // The instruction band sits at the top, mirroring the caption band.
    const band = captionBand("✎ make the sky red", size.width, size.height)!;
    const top = size.height - (band.top + band.height);
    expect(await whitePixels(edited, top, top + band.height)).toBeGreaterThan(200);
  });

  it("maps instructions to changes", () => {
    expect(localEditOf("Сделай небо синим", 1)).toEqual({ kind: "tint", colour: "#2060d8" });
    expect(localEditOf("make it night", 1)).toEqual({ kind: "brightness", factor: 0.5 });
    expect(localEditOf("black and white please", 1)).toEqual({ kind: "greyscale" });
    const other = localEditOf("add a lighthouse", 1);
    expect(["hue", "brightness"]).toContain(other.kind);
    expect(localEditOf("add a cat", 1)).toEqual(localEditOf("add a cat", 1));
  });

  it("upscales with Lanczos to round(side × scale) and validates the factor", async () => {
    const source = await renderLocalImage({ ...base, ...size });
    const up = await upscaleLocalImage({ image: source, scale: 1.5 });
    const meta = await sharp(up).metadata();
    expect([meta.width, meta.height]).toEqual([960, 540]);
    await expect(upscaleLocalImage({ image: source, scale: 1 })).rejects.toThrow(RangeError);
    await expect(upscaleLocalImage({ image: source, scale: 4.5 })).rejects.toThrow(RangeError);
    await expect(
      upscaleLocalImage({ image: await renderLocalImage({ ...base, width: 2048, height: 64 }), scale: 3 }),
    ).rejects.toThrow(/width must be/);
  });

  it("rejects blank and overlong instructions", async () => {
    const source = await renderLocalImage({ ...base, ...size });
    await expect(editLocalImage({ image: source, instruction: " ", ...size, seed: 1 })).rejects.toThrow(
      RangeError,
    );
    await expect(
      editLocalImage({ image: source, instruction: "x".repeat(501), ...size, seed: 1 }),
    ).rejects.toThrow(/1 to 500 characters/);
  });
});
