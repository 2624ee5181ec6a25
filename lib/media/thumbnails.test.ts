import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, renderLavfi, withEnv } from "./test-support";
import { writeClipThumbnail, writeImageThumbnail, writePoster, writeTelegramThumbnail } from "./thumbnails";

let dir: string;
let cleanup: () => Promise<void>;
/** 3 s of 640x360: red until 0.9 s, then green. */
let video: string;
/** 1280x720 of Gaussian noise: the hardest picture for JPEG. */
let noise: string;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  video = await renderLavfi(
    path.join(dir, "red-then-green.mp4"),
    [
      "color=red:size=640x360:rate=24:duration=0.9[red];color=green:size=640x360:rate=24:duration=2.1[green];[red][green]concat",
    ],
    3,
    ["-c:v", "libx264", "-pix_fmt", "yuv420p"],
  );
  noise = path.join(dir, "noise.png");
  await sharp({
    create: {
      width: 1280,
      height: 720,
      channels: 3,
      background: "#808080",
      noise: { type: "gaussian", mean: 128, sigma: 60 },
    },
  })
    .png()
    .toFile(noise);
});
afterAll(() => cleanup());

async function meanRgb(file: string): Promise<number[]> {
  return (await sharp(file).stats()).channels.slice(0, 3).map((channel) => Math.round(channel.mean));
}

function expectJpeg(bytes: Buffer) {
  expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
}

function expectWebp(bytes: Buffer) {
  expect(bytes.toString("latin1", 0, 4)).toBe("RIFF");
  expect(bytes.toString("latin1", 8, 12)).toBe("WEBP");
}

describe("writePoster", () => {
  it("writes the frame at 1 s at full size as JPEG and WebP", async () => {
    const poster = await writePoster({
      videoPath: video,
      jpegPath: path.join(dir, "poster.jpg"),
      webpPath: path.join(dir, "poster.webp"),
    });

    expect(poster.jpeg).toMatchObject({ width: 640, height: 360 });
    expect(poster.webp).toMatchObject({ width: 640, height: 360 });
    const jpeg = await readFile(poster.jpeg.path);
    const webp = await readFile(poster.webp.path);
    expectJpeg(jpeg);
    expectWebp(webp);
    expect(poster.jpeg.bytes).toBe(jpeg.length);
    expect(poster.webp.bytes).toBe(webp.length);
    const [r, g] = await meanRgb(poster.jpeg.path);
    expect(g).toBeGreaterThan(100);
    expect(r).toBeLessThan(30);
  });

  it("takes the middle frame of a video shorter than 2 s", async () => {
    const short = await renderLavfi(path.join(dir, "short.mp4"), ["color=blue:size=160x90:rate=24"], 0.5, [
      "-c:v",
      "libx264",
      "-pix_fmt",
      "yuv420p",
    ]);
    const poster = await writePoster({
      videoPath: short,
      jpegPath: path.join(dir, "short.jpg"),
      webpPath: path.join(dir, "short.webp"),
    });
    expect(poster.webp).toMatchObject({ width: 160, height: 90 });
    expect((await meanRgb(poster.webp.path))[2]).toBeGreaterThan(200);
  });
});

describe("grid thumbnails", () => {
  it.each(["native", "wasm"] as const)(
    "takes a clip's first frame as a 320 px wide WebP (%s)",
    async (backend) => {
      const out = path.join(dir, `clip-${backend}.webp`);
      const thumbnail = await withEnv({ KADR_FFMPEG: backend }, () => writeClipThumbnail(video, out));

      expect(thumbnail).toMatchObject({ width: 320, height: 180 });
      expectWebp(await readFile(out));
      const [r, g] = await meanRgb(out);
      expect(r).toBeGreaterThan(200);
      expect(g).toBeLessThan(30);
    },
  );

  it("shrinks an image to 320 px wide and applies its EXIF orientation", async () => {
    const landscape = await writeImageThumbnail(noise, path.join(dir, "noise.webp"));
    expect(landscape).toMatchObject({ width: 320, height: 180 });

    // Stored 640x320, EXIF orientation 6 (rotate 90° clockwise to display): a 320x640 portrait.
    const phonePhoto = path.join(dir, "phone.jpg");
    await sharp({ create: { width: 640, height: 320, channels: 3, background: "#336699" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(phonePhoto);
    const portrait = await writeImageThumbnail(phonePhoto, path.join(dir, "phone.webp"));
    expect(portrait).toMatchObject({ width: 320, height: 640 });
  });

  it("rejects a file that is not an image", async () => {
    await expect(writeImageThumbnail(video, path.join(dir, "bad.webp"))).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });
});

describe("writeTelegramThumbnail", () => {
  it("fits 320 px on the long side and 200 kB, even for noise", async () => {
    const out = path.join(dir, "telegram.jpg");
    const thumbnail = await writeTelegramThumbnail(noise, out);

    expect(thumbnail).toMatchObject({ width: 320, height: 180 });
    const bytes = await readFile(out);
    expectJpeg(bytes);
    expect(bytes.length).toBe(thumbnail.bytes);
    expect(bytes.length).toBeLessThanOrEqual(200_000);
    const metadata = await sharp(out).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(["jpeg", 320, 180]);
  });

  it("lowers the JPEG quality until the file fits the byte limit", async () => {
    const generous = await writeTelegramThumbnail(noise, path.join(dir, "q85.jpg"));
    const tight = await writeTelegramThumbnail(noise, path.join(dir, "tight.jpg"), 12_000);

    expect(generous.bytes).toBeGreaterThan(12_000);
    expect(tight.bytes).toBeLessThanOrEqual(12_000);
    expect(tight).toMatchObject({ width: 320, height: 180 });
    await expect(writeTelegramThumbnail(noise, path.join(dir, "never.jpg"), 500)).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });
});
