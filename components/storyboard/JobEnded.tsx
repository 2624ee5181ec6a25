"use client";

/**
 * The note a job that ended without a video gets — failed, cancelled, or expired (an approval gate
 * timed out; `job.error` says which) — with "Start again with the same topic": a new job with the
 * same topic (or pasted script), format, aspect and language (`POST /api/v1/jobs`), or, for an
 * extension, the same prompt on the same parent (`POST /api/v1/jobs/:parent/extend`). Its price is
 * shown against the balance; refusals (402, 429) are shown inline. On success the new job opens.
 */
import { useRouter } from "next/navigation";
import { useState } from "react";
import { DEFAULT_PRICES, estimateExtension, estimateJob } from "@/lib/credits/pricing";
import type { JobViewJson } from "@/lib/http/job-json";
import { CreditLine, describeError, isCreditError, isShort, TopUpLink, useCredits } from "./credits";
import { useT } from "./i18n";
import { useSurface } from "./surface";
import { ErrorNote, Spinner, secondaryButton } from "./ui";

/** True for the statuses this note is for. */
export function endedWithoutVideo(status: JobViewJson["job"]["status"]): boolean {
  return status === "failed" || status === "cancelled" || status === "expired";
}

/** The ended-job note with its restart action (see the module comment). */
export function JobEnded({ view }: { view: JobViewJson }) {
  const t = useT();
  const router = useRouter();
  const { api, haptic, jobHref } = useSurface();
  const creditsState = useCredits();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; credits: boolean } | null>(null);
  const { job } = view;
  const extension = job.source === "extension" && job.parentJobId !== null;
  const price = extension
    ? estimateExtension(job.segmentSeconds)
    : estimateJob(job, creditsState.credits?.prices ?? DEFAULT_PRICES).total;
  const short = isShort(creditsState, price);
  const title =
    job.status === "expired" ? t.expiredTitle : job.status === "cancelled" ? t.cancelledTitle : t.failedTitle;

  async function restart() {
    setBusy(true);
    setError(null);
    try {
      const next =
        extension && job.parentJobId
          ? await api.extend(job.parentJobId, job.topic)
          : await api.create({
              ...(job.source === "script" && job.scriptText
                ? { scriptText: job.scriptText }
                : { topic: job.topic }),
              segmentCount: job.segmentCount,
              segmentSeconds: job.segmentSeconds,
              aspect: job.aspect,
              language: job.language,
            });
      haptic("success");
      router.push(jobHref(next.id));
    } catch (err) {
      haptic("error");
      setError({ message: describeError(err, t), credits: isCreditError(err) });
      void creditsState.reload();
      setBusy(false);
    }
  }

  return (
    <section
      aria-label={title}
      data-testid="job-ended"
      className="space-y-3 rounded-2xl border border-dashed border-line px-4 py-5 text-center sm:px-6"
    >
      <div>
        <p className="font-semibold text-fg">{title}</p>
        {job.error && <p className="mx-auto mt-1 max-w-md text-sm break-words text-muted">{job.error}</p>}
      </div>
      <div className="mx-auto max-w-md text-left">
        <CreditLine price={price} state={creditsState} />
      </div>
      {error && !(error.credits && short) && (
        <ErrorNote>
          {error.message}{" "}
          {error.credits && creditsState.credits?.topUpUrl && (
            <TopUpLink url={creditsState.credits.topUpUrl} />
          )}
        </ErrorNote>
      )}
      <button
        type="button"
        onClick={() => void restart()}
        disabled={busy || short}
        className={secondaryButton}
      >
        {busy && <Spinner />}
        {busy ? t.startingAgain : t.startAgain}
      </button>
    </section>
  );
}
