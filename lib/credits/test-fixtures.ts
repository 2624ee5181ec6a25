/**
 * Rows for credit, shared-generation and limit tests and the dedup bench: users and jobs inserted
 * directly (no pipeline event is sent).
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { assets, type JobStatus, jobs, users } from "@/lib/db/schema";
import { newJobId } from "@/lib/studio/jobs";

/** Inserts a user and returns its id. */
export async function insertUser(db: Db, displayName = "Test user"): Promise<string> {
  const id = randomUUID();
  await db.insert(users).values({ id, displayName });
  return id;
}

/** Inserts a 10 × 5 s job owned by `ownerId` and returns its id. */
export async function insertJob(
  db: Db,
  ownerId: string,
  options: { status?: JobStatus; createdAt?: Date; topic?: string } = {},
): Promise<string> {
  const id = newJobId();
  await db.insert(jobs).values({
    id,
    ownerId,
    source: "topic",
    topic: options.topic ?? "A test topic",
    language: "en",
    segmentCount: 10,
    segmentSeconds: 5,
    aspect: "16:9",
    status: options.status ?? "queued",
    ...(options.createdAt ? { createdAt: options.createdAt } : {}),
  });
  return id;
}

/** Marks a job completed with a final video asset (optionally already uploaded to Telegram). */
export async function finishJob(
  db: Db,
  jobId: string,
  telegramFileId: string | null = null,
): Promise<string> {
  const sha256 = randomUUID().replaceAll("-", "").padEnd(64, "0");
  const [asset] = await db
    .insert(assets)
    .values({
      kind: "video",
      storageKey: `video/${sha256.slice(0, 2)}/${sha256}.mp4`,
      sha256,
      mime: "video/mp4",
      bytes: 1000,
      provider: "local",
      telegramFileId,
    })
    .returning({ id: assets.id });
  await db.update(jobs).set({ status: "completed", finalAssetId: asset!.id }).where(eq(jobs.id, jobId));
  return asset!.id;
}
