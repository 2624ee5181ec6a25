import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { contentTypeOf, serveFile } from "./serve-file";

const SIZE = 100;
const bytes = Buffer.from(Array.from({ length: SIZE }, (_, i) => i));
let dir: string;
let filePath: string;

beforeAll(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-serve-file-"));
  filePath = path.join(dir, "clip.mp4");
  await fs.promises.writeFile(filePath, bytes);
});

afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

function get(range?: string, method = "GET"): Request {
  return new Request("http://test/media", { method, headers: range ? { range } : {} });
}

async function bodyOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

const cacheControl = "public, max-age=31536000, immutable";

describe("serveFile", () => {
  it("answers 200 with the whole file, its type, length and Accept-Ranges", async () => {
    const response = await serveFile(get(), filePath, { cacheControl });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("video/mp4");
    expect(response.headers.get("content-length")).toBe(String(SIZE));
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("cache-control")).toBe(cacheControl);
    expect(response.headers.get("content-range")).toBeNull();
    expect(await bodyOf(response)).toEqual(bytes);
  });

  it.each([
    ["bytes=10-19", 10, 19],
    ["bytes=95-", 95, 99],
    ["bytes=-5", 95, 99],
    ["bytes=90-1000", 90, 99],
  ])("answers %s with 206 and exactly that slice", async (range, start, end) => {
    const response = await serveFile(get(range), filePath, { cacheControl });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(response.headers.get("content-length")).toBe(String(end - start + 1));
    expect(response.headers.get("cache-control")).toBe(cacheControl);
    expect(await bodyOf(response)).toEqual(bytes.subarray(start, end + 1));
  });

  it.each(["bytes=100-", "bytes=200-300", "bytes=-0"])(
    "answers %s with 416 and bytes */size",
    async (range) => {
      const response = await serveFile(get(range), filePath, { cacheControl });
      expect(response.status).toBe(416);
      expect(response.headers.get("content-range")).toBe(`bytes */${SIZE}`);
      expect(response.headers.get("cache-control")).toBeNull();
      expect((await bodyOf(response)).length).toBe(0);
    },
  );

  it("ignores malformed and multi-range headers and sends the whole file", async () => {
    for (const range of ["items=0-5", "bytes=0-1,5-6"]) {
      const response = await serveFile(get(range), filePath);
      expect(response.status).toBe(200);
      expect((await bodyOf(response)).length).toBe(SIZE);
    }
  });

  it("answers HEAD with the headers and no body", async () => {
    const response = await serveFile(get("bytes=0-9", "HEAD"), filePath);
    expect(response.status).toBe(206);
    expect(response.headers.get("content-length")).toBe("10");
    expect(response.body).toBeNull();
  });

  it("throws AppError(not_found) for a missing file or a directory", async () => {
    await expect(serveFile(get(), path.join(dir, "missing.mp4"))).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(serveFile(get(), dir)).rejects.toBeInstanceOf(AppError);
  });
});

describe("contentTypeOf", () => {
  it.each([
    ["a/b.png", "image/png"],
    ["a/b.JPG", "image/jpeg"],
    ["a/b.webp", "image/webp"],
    ["a/b.mp4", "video/mp4"],
    ["a/b.wav", "audio/wav"],
    ["a/b.m4a", "audio/mp4"],
    ["a/b.vtt", "text/vtt; charset=utf-8"],
    ["a/b.bin", "application/octet-stream"],
  ])("%s → %s", (name, type) => {
    expect(contentTypeOf(name)).toBe(type);
  });
});
