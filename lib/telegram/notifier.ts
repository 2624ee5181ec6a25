/**
 * Progress and gate notifications for Telegram chats, driven by the job timeline (job_events).
 *
 * The pipeline records "status", "progress", "approval" and "error" rows as it goes. The notifier
 * polls job_events after the last id it has seen, and for every job that changed (and follows a
 * Telegram chat) brings the chat up to date:
 *
 * - the job's one progress message (subscriptions.progressMessageId) is edited in place to the
 *   current status and stage counts — at most one edit per chat every `editIntervalMs` (3 s); an
 *   edit that would come sooner is deferred to a later tick, and "message is not modified" is
 *   ignored;
 * - when the job waits at a gate, the gate preview (previews.ts) is sent once per chat; that it was
 *   sent is recorded as a job_events row of type "telegram" ({ gate, chatId }), so a restarted
 *   notifier does not send it again.
 *
 * Why a poller: it is the only driver that needs no change to the pipeline, and it works with both
 * engines. It needs one long-lived process (the `npm run bot` process, or the app server with the
 * embedded engine). For a serverless deployment (Inngest Cloud, no long-lived process) the same
 * `syncJob` should run as a `notify-telegram` step of produce-video after each stage and gate
 * opening; it is idempotent, so both drivers can coexist. Run one poller per deployment: two would
 * each send the gate previews.
 */
import { and, eq, gt, max, sql } from "drizzle-orm";
import type { Api } from "grammy";
import type { Db } from "@/lib/db";
import { GATES, type Gate, jobEvents, subscriptions } from "@/lib/db/schema";
import type { BlobStore } from "@/lib/storage";
import { GATE_STATUS, getJobView } from "@/lib/studio/jobs";
import { isNotModifiedError } from "./api";
import { storyboardKeyboard } from "./links";
import { sendGatePreview } from "./previews";
import { chatsFollowing } from "./subscriptions";
import { progressText } from "./texts";

/** job_events type of the notifier's own "preview sent" records. */
export const TELEGRAM_EVENT_TYPE = "telegram";

export interface NotifierDeps {
  db: Db;
  api: Api;
  store: BlobStore;
  publicUrl: string | undefined;
  /** Minimum time between two progress edits in one chat, ms (default 3000). */
  editIntervalMs?: number;
  /** Where errors go (default console.error). */
  log?: (message: string, err: unknown) => void;
}

/** The gate a status waits at, if any. */
function gateOf(status: string): Gate | undefined {
  return GATES.find((gate) => GATE_STATUS[gate] === status);
}

/** Keeps Telegram chats up to date with their jobs; see the module comment. */
export class TelegramNotifier {
  private cursor: number | undefined;
  private readonly lastEditAt = new Map<number, number>();
  private readonly shownText = new Map<string, string>();
  private readonly deferred = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly editIntervalMs: number;

  constructor(private readonly deps: NotifierDeps) {
    this.editIntervalMs = deps.editIntervalMs ?? 3000;
  }

  /** Polls every `intervalMs` (default 1000) until `stop()`. */
  start(intervalMs = 1000): void {
    const loop = async () => {
      this.running = this.tick().catch((err) => this.log("telegram notifier tick failed", err));
      await this.running;
      if (this.timer) this.timer = setTimeout(loop, intervalMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops polling and waits for the tick in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One pass: syncs every job with timeline rows after the cursor, plus jobs whose edit was
   * deferred. The first pass starts at the events of the last 24 h.
   */
  async tick(): Promise<void> {
    const { db } = this.deps;
    if (this.cursor === undefined) {
      const [row] = await db
        .select({
          firstRecent: sql<
            number | null
          >`min(${jobEvents.id}) filter (where ${jobEvents.createdAt} > now() - interval '1 day')`,
          last: max(jobEvents.id),
        })
        .from(jobEvents);
      this.cursor = row?.firstRecent != null ? Number(row.firstRecent) - 1 : (row?.last ?? 0);
    }
    const changed = await db
      .select({ jobId: jobEvents.jobId, last: max(jobEvents.id) })
      .from(jobEvents)
      .innerJoin(
        subscriptions,
        and(eq(subscriptions.jobId, jobEvents.jobId), eq(subscriptions.channel, "telegram")),
      )
      .where(gt(jobEvents.id, this.cursor))
      .groupBy(jobEvents.jobId);
    const jobIds = new Set([...this.deferred, ...changed.map((r) => r.jobId)]);
    this.deferred.clear();
    for (const row of changed) this.cursor = Math.max(this.cursor, row.last ?? 0);
    for (const jobId of jobIds) {
      await this.syncJob(jobId).catch((err) => {
        this.deferred.add(jobId);
        this.log(`telegram notification for job ${jobId} failed`, err);
      });
    }
  }

  /** Brings every chat following `jobId` up to date (progress message, gate preview). Idempotent. */
  async syncJob(jobId: string): Promise<void> {
    const { db, api, publicUrl } = this.deps;
    const view = await getJobView(db, jobId);
    const chats = await chatsFollowing(db, jobId);
    const gate = gateOf(view.job.status);
    const previewed = gate
      ? await db
          .select({ data: jobEvents.data })
          .from(jobEvents)
          .where(and(eq(jobEvents.jobId, jobId), eq(jobEvents.type, TELEGRAM_EVENT_TYPE)))
      : [];
    for (const chat of chats) {
      if (chat.progressMessageId !== null) {
        const text = progressText(view, chat.language);
        if (this.shownText.get(chat.subscriptionId) !== text) {
          const since = Date.now() - (this.lastEditAt.get(chat.chatId) ?? 0);
          if (since < this.editIntervalMs) this.deferred.add(jobId);
          else {
            await api
              .editMessageText(chat.chatId, chat.progressMessageId, text, {
                parse_mode: "HTML",
                reply_markup: storyboardKeyboard(publicUrl, jobId, chat.language),
              })
              .catch((err) => {
                if (!isNotModifiedError(err)) throw err;
              })
              .finally(() => this.lastEditAt.set(chat.chatId, Date.now()));
            this.shownText.set(chat.subscriptionId, text);
          }
        }
      }
      const alreadyPreviewed = previewed.some((p) => p.data.gate === gate && p.data.chatId === chat.chatId);
      if (gate && !alreadyPreviewed) {
        await sendGatePreview(this.deps, chat.chatId, view, gate, chat.language);
        await db
          .insert(jobEvents)
          .values({ jobId, type: TELEGRAM_EVENT_TYPE, data: { gate, chatId: chat.chatId } });
      }
    }
  }

  private log(message: string, err: unknown) {
    (this.deps.log ?? ((m, e) => console.error(m, e)))(message, err);
  }
}
