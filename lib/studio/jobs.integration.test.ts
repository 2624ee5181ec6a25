import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { approvals, jobEvents, jobs } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { AppError } from "@/lib/errors";
import { approveGate, cancelJob, createJob, ensureLocalOwner, getJobView, type OutgoingEvent } from "./jobs";

let handle: DbHandle;
let ownerId: string;
const sent: OutgoingEvent[] = [];
const deps = () => ({ db: handle.db, sendEvent: async (e: OutgoingEvent) => void sent.push(e) });

describe(`studio job services (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    ownerId = await ensureLocalOwner(handle.db);
  });
  afterAll(() => handle.close());

  it("creates a job, detects its language and announces it once", async () => {
    const job = await createJob(deps(), ownerId, { topic: "  Как варят кофе  ", segmentCount: 4 });
    expect(job).toMatchObject({
      topic: "Как варят кофе",
      language: "ru",
      segmentCount: 4,
      segmentSeconds: 5,
      aspect: "16:9",
    });
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(sent.at(-1)).toEqual({
      name: "video/job.created",
      data: { jobId: job.id, ownerId },
      id: `job-created-${job.id}`,
    });
    const view = await getJobView(handle.db, job.id, ownerId);
    expect(view.counts).toEqual({ segments: 4, images: 0, clips: 0, narration: 0 });
    const timeline = await handle.db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id));
    expect(timeline.map((e) => e.data)).toEqual([{ status: "queued" }]);
  });

  it("rejects bad input without storing anything", async () => {
    const before = (await handle.db.select().from(jobs)).length;
    await expect(createJob(deps(), ownerId, { topic: "   " })).rejects.toMatchObject({ code: "bad_input" });
    await expect(createJob(deps(), ownerId, { topic: "a", scriptText: "b" })).rejects.toThrow(
      /either a topic or a script/,
    );
    await expect(createJob(deps(), ownerId, { scriptText: "Two words.", segmentCount: 5 })).rejects.toThrow(
      /2 words, fewer than the 5 segments/,
    );
    expect(await handle.db.select().from(jobs)).toHaveLength(before);
  });

  it("removes the job again when the event cannot be sent", async () => {
    const before = (await handle.db.select().from(jobs)).length;
    const failing = { db: handle.db, sendEvent: async () => Promise.reject(new Error("engine down")) };
    await expect(createJob(failing, ownerId, { topic: "Lost job" })).rejects.toThrow("engine down");
    expect(await handle.db.select().from(jobs)).toHaveLength(before);
  });

  it("approves only the gate the job waits at, once", async () => {
    const job = await createJob(deps(), ownerId, { topic: "Gates" });
    await expect(approveGate(deps(), job.id, "script", "test")).rejects.toMatchObject({ code: "conflict" });
    await handle.db.update(jobs).set({ status: "awaiting_script_approval" }).where(eq(jobs.id, job.id));
    await expect(approveGate(deps(), job.id, "images", "test")).rejects.toBeInstanceOf(AppError);
    await approveGate(deps(), job.id, "script", "test");
    await approveGate(deps(), job.id, "script", "test");
    const rows = await handle.db.select().from(approvals).where(eq(approvals.jobId, job.id));
    expect(rows.map((r) => [r.gate, r.decision, r.actor])).toEqual([["script", "approved", "test"]]);
    expect(sent.filter((e) => e.name === "video/script.approved" && e.data.jobId === job.id)).toHaveLength(2);
    expect(
      new Set(sent.filter((e) => e.data.jobId === job.id && e.name.endsWith("approved")).map((e) => e.id)),
    ).toEqual(new Set([`approve-${job.id}-script`]));
  });

  it("cancels an open job once and hides jobs from other owners", async () => {
    const job = await createJob(deps(), ownerId, { topic: "To cancel" });
    await cancelJob(deps(), job.id, "test");
    expect((await getJobView(handle.db, job.id)).job.status).toBe("cancelled");
    await expect(cancelJob(deps(), job.id, "test")).rejects.toMatchObject({ code: "conflict" });
    await expect(getJobView(handle.db, job.id, "00000000-0000-0000-0000-000000000000")).rejects.toMatchObject(
      {
        code: "not_found",
      },
    );
  });
});
