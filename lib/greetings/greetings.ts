/**
 * Personalized greetings: a template (lib/greetings/templates.ts) filled with a name, generated
 * once per distinct (template, name) and shared by everyone who asks for it — a shared generation
 * (lib/credits/shared-generations.ts) keyed by the request fingerprint.
 *
 * Money: every new request pays the template's price once. It is reserved with the request
 * (ledger key `greeting:<subscriptionId>`); captured when the video is stored — at once for a
 * request served by a finished generation — and released (the requester is refunded) when the
 * generation fails. Asking again for the same greeting on the same channel costs nothing.
 *
 * A greeting job has no approval gates (the template is approved already): produce-video passes
 * them automatically when `video/job.created` carries `gates: false`.
 */
import { and, eq, like } from "drizzle-orm";
import { z } from "zod";
import { requestFingerprint } from "@/lib/credits/fingerprint";
import { capture, reserve } from "@/lib/credits/ledger";
import { insertOrSubscribe, type SharedOutcome, type SharedResult } from "@/lib/credits/shared-generations";
import type { Db } from "@/lib/db";
import {
  creditLedger,
  type Job,
  jobs,
  type SubscriptionChannel,
  segments,
  subscriptions,
} from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import {
  admitNewJob,
  getJobView,
  newJobId,
  recordJobEvent,
  type StudioDeps,
  startOrUndo,
} from "@/lib/studio/jobs";
import { describeZodError } from "@/lib/studio/schemas";
import { fillName, GREETING_TEMPLATE_IDS, GREETING_TEMPLATES, type GreetingTemplate } from "./templates";

/** Longest name accepted, in characters. */
export const MAX_NAME_CHARS = 40;

/**
 * Letters of any script (with their combining marks), single spaces, hyphens and apostrophes
 * between them: "Анна", "Jean-Luc", "O'Brien", "Zoë", "محمد", "李 小龙".
 */
const NAME_PATTERN = /^[\p{L}\p{M}]+(?:[ '’-][\p{L}\p{M}]+)*$/u;

/**
 * The name as the narration says it: NFC, trimmed, spaces collapsed, each part (after a space or
 * a hyphen) capitalized and the rest lower-cased — derived from the name alone, so everyone who
 * asks for "анна", "АННА" or "Анна" (one fingerprint) gets the same video.
 */
export function displayName(name: string): string {
  return name
    .normalize("NFC")
    .trim()
    .replace(/\s+/gu, " ")
    .toLocaleLowerCase()
    .replace(/(^|[ -])(\p{L})/gu, (_, sep: string, letter: string) => sep + letter.toLocaleUpperCase());
}

/** A greeting request: which template, for which name. */
export const GreetingRequestSchema = z.object({
  templateId: z.string().refine((id) => GREETING_TEMPLATE_IDS.includes(id), {
    error: (issue) =>
      `Unknown greeting template ${JSON.stringify(issue.input)}: use ${GREETING_TEMPLATE_IDS.join(" or ")}`,
  }),
  name: z
    .string({ error: "The name is missing" })
    .transform((name) => name.normalize("NFC").trim().replace(/\s+/gu, " "))
    .pipe(
      z
        .string()
        .min(1, "The name is empty: write who the greeting is for")
        .max(MAX_NAME_CHARS, `The name is longer than ${MAX_NAME_CHARS} characters`)
        .regex(NAME_PATTERN, "A name may contain letters, spaces, hyphens and apostrophes only"),
    ),
});
export type GreetingRequest = z.input<typeof GreetingRequestSchema>;

/** Where the requester wants the greeting. */
export interface GreetingDelivery {
  channel: SubscriptionChannel;
  telegramChatId?: number | null;
}

/** How a greeting request was served, and what it cost. */
export type GreetingOutcome = SharedOutcome & {
  template: GreetingTemplate;
  /** The name as narrated. */
  name: string;
  /** Credits this request was charged (reserved or captured); 0 for a repeated request. */
  charged: number;
};

/** The ledger key of one requester's payment for a greeting. */
export function greetingCreditKey(subscriptionId: string): string {
  return `greeting:${subscriptionId}`;
}

/**
 * Serves a greeting request: validates it, then in one transaction claims or joins the shared
 * generation of (template, name) and charges the requester; a new generation's job (with its
 * segments from the template) is stored in the same transaction and started after commit.
 * @returns the outcome: `owner` (a job was started), `subscriber` (joined a running one) or
 *   `completed` (with the finished video, `result.telegramFileId` when it was sent before).
 * @throws AppError("bad_input") for an unknown template or a bad name; InsufficientCreditsError
 *   (402); RateLimitedError (429) when starting a new job would exceed the requester's job limits —
 *   nothing is stored then. Whatever the event sender throws (the job and charge are undone).
 */
export async function requestGreeting(
  deps: StudioDeps,
  userId: string,
  request: GreetingRequest,
  delivery: GreetingDelivery,
): Promise<GreetingOutcome> {
  const parsed = GreetingRequestSchema.safeParse(request);
  if (!parsed.success) throw new AppError("bad_input", describeZodError(parsed.error));
  const template = GREETING_TEMPLATES[parsed.data.templateId]!;
  const name = displayName(parsed.data.name);
  const fingerprint = requestFingerprint({
    kind: `greeting:${template.id}`,
    inputs: { name },
    options: { version: 1 },
  });

  const outcome = await deps.db.transaction(async (tx) => {
    const shared = await insertOrSubscribe(
      tx,
      { fingerprint, kind: "greeting", userId, ...delivery },
      (claim) => insertGreetingJob(claim, deps, userId, template, name),
    );
    let charged = 0;
    if (shared.newSubscription) {
      const key = greetingCreditKey(shared.subscriptionId);
      await reserve(tx, { userId, jobId: shared.jobId, amount: template.priceCredits, key });
      if (shared.role === "completed") {
        await capture(tx, { reservationKey: key, amount: template.priceCredits, key: "done" });
      }
      charged = template.priceCredits;
    }
    return { ...shared, template, name, charged };
  });
  if (outcome.role === "owner") {
    const [job] = await deps.db.select().from(jobs).where(eq(jobs.id, outcome.jobId));
    await startOrUndo(deps, job!, {
      name: "video/job.created",
      data: { jobId: outcome.jobId, ownerId: job!.ownerId, gates: false },
      id: `job-created-${outcome.jobId}`,
    });
  }
  return outcome;
}

/** Stores a greeting job (script and segments from the template) for the shared generation. */
async function insertGreetingJob(
  tx: Db,
  deps: StudioDeps,
  ownerId: string,
  template: GreetingTemplate,
  name: string,
): Promise<string> {
  await admitNewJob(tx, deps, ownerId);
  const id = newJobId();
  const narrationOf = (section: string) =>
    template.segments
      .filter((s) => s.section === section)
      .map((s) => fillName(s.narration, name))
      .join("\n");
  const title = fillName(template.title, name);
  await tx.insert(jobs).values({
    id,
    ownerId,
    source: "greeting",
    topic: title,
    script: {
      title,
      sections: { intro: narrationOf("intro"), main: narrationOf("main"), outro: narrationOf("outro") },
    },
    language: template.language,
    segmentCount: template.segments.length,
    segmentSeconds: template.segmentSeconds,
    aspect: template.aspect,
    status: "queued",
  });
  await tx.insert(segments).values(
    template.segments.map((s, index) => ({
      jobId: id,
      index,
      section: s.section,
      narration: fillName(s.narration, name),
      caption: s.caption,
      startSeconds: index * template.segmentSeconds,
      seconds: template.segmentSeconds,
      imagePrompt: s.imagePrompt,
      motionPrompt: s.motionPrompt,
    })),
  );
  await recordJobEvent(tx, id, "status", { status: "queued" });
  return id;
}

/**
 * Captures every greeting payment still held for a finished job (its video is stored). Call after
 * `completeGeneration`, so a request racing with completion is either captured here or served as
 * completed (and captured) itself.
 * @returns the credits captured.
 */
export async function captureGreetingPayments(db: Db, jobId: string): Promise<number> {
  const reservations = await db
    .select({ key: creditLedger.idempotencyKey, amount: creditLedger.amount })
    .from(creditLedger)
    .where(
      and(
        eq(creditLedger.jobId, jobId),
        eq(creditLedger.kind, "reserve"),
        like(creditLedger.idempotencyKey, "greeting:%"),
      ),
    );
  let total = 0;
  for (const r of reservations) {
    total += (await capture(db, { reservationKey: r.key, amount: -r.amount, key: "done" })).amount;
  }
  return total;
}

export type { SharedResult };

/** What a requester sees of a greeting: its progress and, when done, the video. */
export interface GreetingStatus {
  jobId: string;
  title: string;
  status: Job["status"];
  /** Finished stages out of the job's segments: images, clips, narration. */
  progress: { segments: number; images: number; clips: number; narration: number };
  /** The final video once stored. */
  video: {
    storageKey: string;
    durationSeconds: number | null;
    width: number | null;
    height: number | null;
  } | null;
  error: string | null;
}

/**
 * The status of a greeting the user asked for (as its starter or as a subscriber).
 * @throws AppError("not_found") when the job is not a greeting this user is subscribed to.
 */
export async function getGreetingStatus(db: Db, jobId: string, userId: string): Promise<GreetingStatus> {
  const [row] = await db
    .select({ job: jobs })
    .from(jobs)
    .innerJoin(subscriptions, and(eq(subscriptions.jobId, jobs.id), eq(subscriptions.userId, userId)))
    .where(and(eq(jobs.id, jobId), eq(jobs.source, "greeting")))
    .limit(1);
  if (!row) throw new AppError("not_found", `No greeting ${jobId}`);
  const view = await getJobView(db, jobId);
  return {
    jobId,
    title: row.job.topic,
    status: row.job.status,
    progress: view.counts,
    video: view.finalAsset
      ? {
          storageKey: view.finalAsset.storageKey,
          durationSeconds: view.finalAsset.durationSeconds,
          width: view.finalAsset.width,
          height: view.finalAsset.height,
        }
      : null,
    error: row.job.error,
  };
}
