/**
 * Telegram subscriptions: the chats that follow a job (progress message, gate previews) and get its
 * video. One row per (job, user, channel "telegram") in the `subscriptions` table.
 */
import { and, desc, eq, isNull, notInArray } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { FINAL_JOB_STATUSES, type Job, jobs, type Subscription, subscriptions, users } from "@/lib/db/schema";
import type { ChatLanguage } from "./texts";

/**
 * Makes `chatId` follow `jobId` for `userId` (created once; a later call only updates the chat).
 * @returns the subscription row.
 */
export async function subscribeChat(
  db: Db,
  input: { jobId: string; userId: string; chatId: number },
): Promise<Subscription> {
  const [row] = await db
    .insert(subscriptions)
    .values({ jobId: input.jobId, userId: input.userId, channel: "telegram", telegramChatId: input.chatId })
    .onConflictDoUpdate({
      target: [subscriptions.jobId, subscriptions.userId, subscriptions.channel],
      set: { telegramChatId: input.chatId },
    })
    .returning();
  return row!;
}

/** Remembers the chat message that shows the job's progress (edited in place later). */
export async function setProgressMessage(db: Db, subscriptionId: string, messageId: number): Promise<void> {
  await db
    .update(subscriptions)
    .set({ progressMessageId: messageId })
    .where(eq(subscriptions.id, subscriptionId));
}

/**
 * The job a chat is talking about: the newest job of `userId` followed in `chatId` that is not
 * finished, else the newest followed job at all; undefined when the chat follows none.
 */
export async function currentJobOfChat(db: Db, chatId: number, userId: string): Promise<Job | undefined> {
  const followed = and(
    eq(subscriptions.userId, userId),
    eq(subscriptions.channel, "telegram"),
    eq(subscriptions.telegramChatId, chatId),
  );
  const newest = (openOnly: boolean) =>
    db
      .select({ job: jobs })
      .from(subscriptions)
      .innerJoin(jobs, eq(jobs.id, subscriptions.jobId))
      .where(openOnly ? and(followed, notInArray(jobs.status, [...FINAL_JOB_STATUSES])) : followed)
      .orderBy(desc(jobs.createdAt))
      .limit(1);
  const [open] = await newest(true);
  if (open) return open.job;
  const [latest] = await newest(false);
  return latest?.job;
}

/** A chat following a job, with the language to talk in. */
export interface ChatSubscription {
  subscriptionId: string;
  chatId: number;
  userId: string;
  language: ChatLanguage;
  progressMessageId: number | null;
}

/**
 * Every Telegram chat following `jobId`; `undeliveredOnly` keeps those that have not received the
 * video yet.
 */
export async function chatsFollowing(
  db: Db,
  jobId: string,
  undeliveredOnly = false,
): Promise<ChatSubscription[]> {
  const rows = await db
    .select({ subscription: subscriptions, language: users.language })
    .from(subscriptions)
    .innerJoin(users, eq(users.id, subscriptions.userId))
    .where(
      and(
        eq(subscriptions.jobId, jobId),
        eq(subscriptions.channel, "telegram"),
        undeliveredOnly ? isNull(subscriptions.deliveredAt) : undefined,
      ),
    )
    .orderBy(subscriptions.createdAt);
  return rows
    .filter((r) => r.subscription.telegramChatId !== null)
    .map((r) => ({
      subscriptionId: r.subscription.id,
      chatId: r.subscription.telegramChatId!,
      userId: r.subscription.userId,
      language: r.language === "ru" ? "ru" : "en",
      progressMessageId: r.subscription.progressMessageId,
    }));
}

/** Marks a subscription as having received the video. */
export async function markDelivered(db: Db, subscriptionId: string): Promise<void> {
  await db.update(subscriptions).set({ deliveredAt: new Date() }).where(eq(subscriptions.id, subscriptionId));
}
