import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { grant } from "@/lib/credits/ledger";
import type { DbHandle } from "@/lib/db";
import { approvals, assets, type Gate, jobEvents, jobs, segments, users } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import { LocalBlobStore } from "@/lib/storage";
import { splitScript } from "@/lib/storyboard/split";
import type { Script } from "@/lib/storyboard/types";
import {
  editScript,
  editSegment,
  MAX_UPLOAD_BYTES,
  regenerateSegmentMedia,
  scriptWithSegmentNarration,
  sniffImageType,
  type UploadDeps,
  uploadSegmentImage,
} from "./editing";
import { createJob, GATE_STATUS, type OutgoingEvent } from "./jobs";

let handle: DbHandle;
let deps: UploadDeps;
let ownerId: string;
let strangerId: string;
let storeDir: string;
const sent: OutgoingEvent[] = [];

const SCRIPT: Script = {
  title: "Lighthouses",
  sections: {
    intro: "Lighthouses guard the coast. They shine at night.",
    main: "The lamp sits at the top.\nA lens focuses the light into a beam. Keepers once trimmed the wicks every hour. Today most lights run on their own.",
    outro: "Next time you see one, wave. Thanks for watching!",
  },
};

beforeAll(async () => {
  handle = await openTestDb();
  storeDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-editing-"));
  deps = {
    db: handle.db,
    sendEvent: async (event) => sent.push(event),
    store: new LocalBlobStore(storeDir),
    policy: { limits: null },
  };
  const [owner, stranger] = await handle.db
    .insert(users)
    .values([{ displayName: "Owner" }, { displayName: "Stranger" }])
    .returning();
  ownerId = owner!.id;
  strangerId = stranger!.id;
  for (const userId of [ownerId, strangerId])
    await grant(handle.db, { userId, amount: 10_000, key: `test:${userId}` });
});

afterAll(async () => {
  await handle.close();
  await fs.promises.rm(storeDir, { recursive: true, force: true });
});

beforeEach(() => {
  sent.length = 0;
});

/** A 4-segment job of the owner waiting at `gate` (segments planned from SCRIPT for media gates). */
async function jobAt(gate: Gate) {
  const job = await createJob(deps, ownerId, { topic: "Lighthouses", segmentCount: 4, aspect: "16:9" });
  await handle.db
    .update(jobs)
    .set({ status: GATE_STATUS[gate], script: SCRIPT, language: "en" })
    .where(eq(jobs.id, job.id));
  if (gate !== "script") {
    const [image] = await handle.db
      .insert(assets)
      .values({
        kind: "image",
        storageKey: `image/aa/${"a".repeat(64)}.png`,
        sha256: "a".repeat(64),
        mime: "image/png",
        bytes: 1,
        provider: "local",
      })
      .returning();
    const planned = splitScript({ script: SCRIPT, segmentCount: 4, segmentSeconds: 5, language: "en" });
    await handle.db.insert(segments).values(
      planned.segments.map((s) => ({
        jobId: job.id,
        index: s.index,
        section: s.section,
        narration: s.narration,
        caption: `Caption ${s.index}`,
        startSeconds: s.startSeconds,
        seconds: s.seconds,
        imagePrompt: `image ${s.index}`,
        motionPrompt: "slow zoom in",
        imageStatus: "ready" as const,
        imageAssetId: image!.id,
        clipStatus: gate === "clips" ? ("ready" as const) : ("pending" as const),
      })),
    );
  }
  sent.length = 0;
  return job.id;
}

async function jobRow(jobId: string) {
  const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, jobId));
  return row!;
}

async function segmentRow(jobId: string, index: number) {
  const [row] = await handle.db
    .select()
    .from(segments)
    .where(and(eq(segments.jobId, jobId), eq(segments.index, index)));
  return row!;
}

async function eventTypes(jobId: string) {
  const rows = await handle.db.select().from(jobEvents).where(eq(jobEvents.jobId, jobId));
  return rows.map((r) => r.type);
}

describe("editScript", () => {
  it("stores the new sections and title at the script gate, bumps the version and records an edit", async () => {
    const jobId = await jobAt("script");
    const before = await jobRow(jobId);
    const script = await editScript(
      deps,
      jobId,
      { title: "Lights of the coast", sections: { outro: "Wave at the next one you see. Bye!" } },
      "user:test",
      ownerId,
    );
    expect(script).toEqual({
      title: "Lights of the coast",
      sections: { ...SCRIPT.sections, outro: "Wave at the next one you see. Bye!" },
    });
    const after = await jobRow(jobId);
    expect(after.script).toEqual(script);
    expect(after.version).toBe(before.version + 1);
    expect(await eventTypes(jobId)).toContain("edit");
  });

  it("refuses a script with fewer words than segments, an empty patch and oversized sections", async () => {
    const jobId = await jobAt("script");
    await expect(
      editScript(deps, jobId, { sections: { intro: "", main: "Two words", outro: "" } }, "u", ownerId),
    ).rejects.toMatchObject({ code: "bad_input", message: expect.stringContaining("2 words") });
    await expect(editScript(deps, jobId, {}, "u", ownerId)).rejects.toMatchObject({ code: "bad_input" });
    await expect(
      editScript(deps, jobId, { sections: { main: "word ".repeat(20_000) } }, "u", ownerId),
    ).rejects.toMatchObject({ code: "bad_input", message: expect.stringContaining("longer than") });
    expect((await jobRow(jobId)).script).toEqual(SCRIPT);
  });

  it("is a 404 for another owner's job and a 409 once the gate is approved or passed", async () => {
    const jobId = await jobAt("script");
    await expect(editScript(deps, jobId, { title: "Mine" }, "u", strangerId)).rejects.toMatchObject({
      code: "not_found",
    });
    await handle.db.insert(approvals).values({ jobId, gate: "script", decision: "approved", actor: "u" });
    await expect(editScript(deps, jobId, { title: "Late" }, "u", ownerId)).rejects.toMatchObject({
      code: "conflict",
    });
    const imagesJob = await jobAt("images");
    await expect(editScript(deps, imagesJob, { title: "Late" }, "u", ownerId)).rejects.toMatchObject({
      code: "conflict",
    });
  });
});

describe("editSegment", () => {
  it("at the script gate rewrites that preview segment's span of the script, keeping the rest", async () => {
    const jobId = await jobAt("script");
    const job = await jobRow(jobId);
    const preview = splitScript({ script: SCRIPT, segmentCount: 4, segmentSeconds: 5, language: "en" });
    const target = preview.segments[2]!;
    expect(target.section).toBe("main");

    const result = await editSegment(
      deps,
      jobId,
      2,
      { narration: "Rotating lenses make the light flash." },
      "u",
      ownerId,
    );
    expect(result.kind).toBe("script");
    const stored = (await jobRow(jobId)).script!;
    expect(stored.sections.intro).toBe(SCRIPT.sections.intro);
    expect(stored.sections.outro).toBe(SCRIPT.sections.outro);
    expect(stored.sections.main).toContain("Rotating lenses make the light flash.");
    expect(stored.sections.main).not.toContain(target.narration);
    // The untouched first main segment keeps its line break.
    expect(stored.sections.main.startsWith("The lamp sits at the top.\n")).toBe(true);
    expect(scriptWithSegmentNarration(job, SCRIPT, 2, "Rotating lenses make the light flash.")).toEqual(
      stored,
    );
  });

  it("at the script gate refuses other fields and indices outside the job", async () => {
    const jobId = await jobAt("script");
    await expect(editSegment(deps, jobId, 0, { caption: "Hi" }, "u", ownerId)).rejects.toMatchObject({
      code: "conflict",
    });
    await expect(
      editSegment(deps, jobId, 9, { narration: "Hello there" }, "u", ownerId),
    ).rejects.toMatchObject({
      code: "bad_input",
    });
  });

  it("at the images gate updates narration, caption and prompts of the segment row", async () => {
    const jobId = await jobAt("images");
    const result = await editSegment(
      deps,
      jobId,
      1,
      {
        narration: "New words here.",
        caption: "New caption",
        imagePrompt: "a red lighthouse",
        motionPrompt: "pan left",
      },
      "u",
      ownerId,
    );
    expect(result).toMatchObject({ kind: "segment", segment: { index: 1, caption: "New caption" } });
    expect(await segmentRow(jobId, 1)).toMatchObject({
      narration: "New words here.",
      caption: "New caption",
      imagePrompt: "a red lighthouse",
      motionPrompt: "pan left",
    });
    expect(await segmentRow(jobId, 0)).toMatchObject({ caption: "Caption 0", imagePrompt: "image 0" });
    expect(await eventTypes(jobId)).toContain("edit");
  });

  it("at the clips gate refuses the image prompt but takes the motion prompt", async () => {
    const jobId = await jobAt("clips");
    await expect(editSegment(deps, jobId, 0, { imagePrompt: "x" }, "u", ownerId)).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining("imagePrompt"),
    });
    await editSegment(deps, jobId, 0, { motionPrompt: "pan right" }, "u", ownerId);
    expect((await segmentRow(jobId, 0)).motionPrompt).toBe("pan right");
  });

  it("rejects empty narration, overlong captions and empty patches with bad_input", async () => {
    const jobId = await jobAt("images");
    for (const patch of [{ narration: "  — " }, { caption: "x".repeat(61) }, {}]) {
      await expect(editSegment(deps, jobId, 0, patch, "u", ownerId)).rejects.toMatchObject({
        code: "bad_input",
      });
    }
  });
});

describe("regenerateSegmentMedia", () => {
  it("stores the new image prompt, puts the image back to pending and asks for a new take", async () => {
    const jobId = await jobAt("images");
    const variation = await regenerateSegmentMedia(
      deps,
      jobId,
      3,
      { target: "image", prompt: "a lighthouse in a storm" },
      "u",
      ownerId,
    );
    expect(variation).toBe(1);
    expect(await segmentRow(jobId, 3)).toMatchObject({
      imagePrompt: "a lighthouse in a storm",
      imageStatus: "pending",
      imageAssetId: null,
      imageVariation: 1,
    });
    expect(sent).toEqual([
      {
        name: "video/segment.regeneration.requested",
        data: { jobId, ownerId, index: 3, target: "image", variation: 1 },
        id: `regenerate-${jobId}-3-image-1`,
      },
    ]);
    await expect(
      regenerateSegmentMedia(deps, jobId, 3, { target: "image", prompt: "again" }, "u", ownerId),
    ).rejects.toMatchObject({ code: "conflict" });
    expect((await segmentRow(jobId, 3)).imagePrompt).toBe("a lighthouse in a storm");
  });

  it("refuses a clip at the images gate and anything after approval", async () => {
    const jobId = await jobAt("images");
    await expect(
      regenerateSegmentMedia(deps, jobId, 0, { target: "clip" }, "u", ownerId),
    ).rejects.toMatchObject({
      code: "conflict",
    });
    await handle.db.insert(approvals).values({ jobId, gate: "images", decision: "approved", actor: "u" });
    await expect(
      regenerateSegmentMedia(deps, jobId, 0, { target: "image" }, "u", ownerId),
    ).rejects.toMatchObject({ code: "conflict" });
    expect(sent).toEqual([]);
  });

  it("takes a new motion prompt for a clip at the clips gate", async () => {
    const jobId = await jobAt("clips");
    await regenerateSegmentMedia(deps, jobId, 1, { target: "clip", prompt: "pan up" }, "u", ownerId);
    expect(await segmentRow(jobId, 1)).toMatchObject({ motionPrompt: "pan up", clipStatus: "pending" });
  });
});

describe("uploadSegmentImage", () => {
  const photo = (format: "png" | "jpeg" | "webp", width = 400, height = 400) =>
    sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .toFormat(format)
      .toBuffer();

  it.each(["png", "jpeg", "webp"] as const)(
    "stores a %s cropped to the job's 1280×720 frame as a PNG asset and marks the segment ready",
    async (format) => {
      const jobId = await jobAt("images");
      const before = await segmentRow(jobId, 0);
      const segment = await uploadSegmentImage(deps, jobId, 0, await photo(format), "u", ownerId);
      expect(segment.imageStatus).toBe("ready");
      expect(segment.imageVariation).toBe(before.imageVariation + 1);
      expect(segment.imageAssetId).not.toBe(before.imageAssetId);
      const [asset] = await handle.db.select().from(assets).where(eq(assets.id, segment.imageAssetId!));
      expect(asset).toMatchObject({
        kind: "image",
        mime: "image/png",
        provider: "upload",
        width: 1280,
        height: 720,
      });
      const stored = await sharp(deps.store.pathOf(asset!.storageKey)).metadata();
      expect([stored.format, stored.width, stored.height]).toEqual(["png", 1280, 720]);
      expect(await eventTypes(jobId)).toContain("upload");
    },
  );

  it("refuses oversized uploads with too_large and other formats with bad_input", async () => {
    const jobId = await jobAt("images");
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    (await photo("png")).copy(big);
    await expect(uploadSegmentImage(deps, jobId, 0, big, "u", ownerId)).rejects.toMatchObject({
      code: "too_large",
    });
    const gif = Buffer.from("GIF89a\x01\x00\x01\x00", "latin1");
    await expect(uploadSegmentImage(deps, jobId, 0, gif, "u", ownerId)).rejects.toMatchObject({
      code: "bad_input",
    });
    const broken = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(64),
    ]);
    await expect(uploadSegmentImage(deps, jobId, 0, broken, "u", ownerId)).rejects.toMatchObject({
      code: "bad_input",
      message: expect.stringContaining("could not be decoded"),
    });
    expect((await segmentRow(jobId, 0)).imageVariation).toBe(0);
  });

  it("is a 409 outside the images gate and a 404 for another owner's job", async () => {
    const clipsJob = await jobAt("clips");
    await expect(
      uploadSegmentImage(deps, clipsJob, 0, await photo("png"), "u", ownerId),
    ).rejects.toMatchObject({
      code: "conflict",
    });
    const imagesJob = await jobAt("images");
    await expect(
      uploadSegmentImage(deps, imagesJob, 0, await photo("png"), "u", strangerId),
    ).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("sniffImageType", () => {
  it("knows PNG, JPEG and WebP by their magic bytes only", () => {
    expect(sniffImageType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe("png");
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("jpeg");
    expect(sniffImageType(Buffer.from("RIFF\x00\x00\x00\x00WEBPVP8 ", "latin1"))).toBe("webp");
    expect(sniffImageType(Buffer.from("RIFF\x00\x00\x00\x00WAVEfmt ", "latin1"))).toBeNull();
    expect(sniffImageType(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
  });
});
