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
 *   notifier does not send it again;
 * - when the job ends `expired` (an approval gate timed out, event "expired") or `failed` (event
 *   "error", status failed), every chat following it gets one notice with the reason and the
 *   credits that came back to that chat's user for this job ("your N reserved credits are back",
 *   from the user's credit_ledger rows of the job; for a shared greeting each subscriber's own
 *   payment). The pipeline records the final event just before it releases the credits, so a
 *   notice waits (deferred to later ticks) while the user's reservations of the job still hold
 *   credits, for at most `settleWaitMs` after the job's last update. Sent once per chat, recorded
 *   as a "telegram" row ({ notice: status, chatId }).
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
import { balance } from "@/lib/credits/ledger";
import type { Db } from "@/lib/db";
import { creditLedger, GATES, type Gate, type JobStatus, jobEvents, subscriptions } from "@/lib/db/schema";
import type { BlobStore } from "@/lib/storage";
import { GATE_STATUS, getJobView, type JobView } from "@/lib/studio/jobs";
import { isNotModifiedError } from "./api";
import { storyboardKeyboard } from "./links";
import { sendGatePreview } from "./previews";
import { type ChatSubscription, chatsFollowing } from "./subscriptions";
import { progressText, texts } from "./texts";

/** job_events type of the notifier's own "preview sent" records. */
export const TELEGRAM_EVENT_TYPE = "telegram";

export interface NotifierDeps {
  db: Db;
  api: Api;
  store: BlobStore;
  publicUrl: string | undefined;
  /** Minimum time between two progress edits in one chat, ms (default 3000). */
  editIntervalMs?: number;
  /**
   * How long an expiry/failure notice waits for the job's credits to be released, ms after the
   * job's last update (default 60000); after that it is sent with what came back so far.
   */
  settleWaitMs?: number;
  /** Where errors go (default console.error). */
  log?: (message: string, err: unknown) => void;
}

/** The gate a status waits at, if any. */
function gateOf(status: string): Gate | undefined {
  return GATES.find((gate) => GATE_STATUS[gate] === status);
}

/** Final statuses the chats are told about with a notice (cancelling is the user's own act). */
const NOTICE_STATUSES: readonly JobStatus[] = ["expired", "failed"];

/** One user's credits for one job, from the ledger, in whole credits (all non-negative). */
export interface JobCredits {
  /** Reserved in total. */
  reserved: number;
  /** Still held by open reservations: reserved − released. */
  held: number;
  /** Spent (captured) minus refunded. */
  spent: number;
  /** Given back to "available": released without being spent, plus refunds. */
  back: number;
}

/** What `userId`'s ledger rows for `jobId` add up to (see JobCredits). */
export async function jobCreditsOf(db: Db, jobId: string, userId: string): Promise<JobCredits> {
  const rows = await db
    .select({ kind: creditLedger.kind, total: sql<string>`coalesce(sum(${creditLedger.amount}), 0)` })
    .from(creditLedger)
    .where(and(eq(creditLedger.jobId, jobId), eq(creditLedger.userId, userId)))
    .groupBy(creditLedger.kind);
  const of = (kind: string) => Number(rows.find((r) => r.kind === kind)?.total ?? 0);
  const reserved = -of("reserve");
  const released = of("release");
  const captured = -of("capture");
  const refunded = of("refund");
  return {
    reserved,
    held: Math.max(reserved - released, 0),
    spent: captured - refunded,
    back: released - captured + refunded,
  };
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
    const final = NOTICE_STATUSES.includes(view.job.status) ? view.job.status : undefined;
    const told =
      gate || final
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
      if (final && !told.some((p) => p.data.notice === final && p.data.chatId === chat.chatId)) {
        if (await this.sendFinalNotice(view, chat)) {
          await db
            .insert(jobEvents)
            .values({ jobId, type: TELEGRAM_EVENT_TYPE, data: { notice: final, chatId: chat.chatId } });
        } else this.deferred.add(jobId);
      }
      const alreadyPreviewed = told.some((p) => p.data.gate === gate && p.data.chatId === chat.chatId);
      if (gate && !alreadyPreviewed) {
        await sendGatePreview(this.deps, chat.chatId, view, gate, chat.language);
        await db
          .insert(jobEvents)
          .values({ jobId, type: TELEGRAM_EVENT_TYPE, data: { gate, chatId: chat.chatId } });
      }
    }
  }

  /**
   * Tells one chat that its job expired or failed, and how many of its user's credits came back.
   * @returns false (nothing sent) while the user's reservations of the job still hold credits
   *   and the job changed less than `settleWaitMs` ago.
   */
  private async sendFinalNotice(view: JobView, chat: ChatSubscription): Promise<boolean> {
    const { db, api } = this.deps;
    const { job } = view;
    const credits = await jobCreditsOf(db, job.id, chat.userId);
    const age = Date.now() - job.updatedAt.getTime();
    if (credits.held > 0 && age < (this.deps.settleWaitMs ?? 60_000)) return false;
    const t = texts(chat.language);
    const title = job.script?.title || job.topic;
    const reason = job.error ?? "";
    const lines = [job.status === "expired" ? t.expiredNotice(title, reason) : t.failedNotice(title, reason)];
    if (credits.back > 0) lines.push(t.creditsBack(credits.back, (await balance(db, chat.userId)).available));
    await api.sendMessage(chat.chatId, lines.join("\n"));
    return true;
  }

  private log(message: string, err: unknown) {
    (this.deps.log ?? ((m, e) => console.error(m, e)))(message, err);
  }
}
