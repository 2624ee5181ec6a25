"use client";

/**
 * History: the caller's videos, newest first — thumbnail, title, status, progress and age — each
 * a link to its job page. The first page (20 jobs) is read when shown and again whenever the window
 * regains focus (no polling loop); "Load more" appends the next page (`GET /api/v1/jobs?before=`).
 * Skeleton rows while loading, an empty state and an error state with retry.
 */
import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import type { JobSummaryJson } from "@/lib/http/job-json";
import { messageOf } from "./api";
import { useT } from "./i18n";
import { useSurface } from "./surface";
import { cardClass, EmptyState, ErrorNote, Skeleton, Spinner, StatusBadge, secondaryButton } from "./ui";

const THUMB: Record<JobSummaryJson["aspect"], string> = {
  "16:9": "w-24 aspect-video",
  "9:16": "w-12 aspect-[9/16]",
  "1:1": "w-16 aspect-square",
};

/** Minutes since an ISO timestamp. */
function minutesSince(iso: string): number {
  return Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60_000));
}

/** The job list (see the module comment). */
export function History() {
  const t = useT();
  const { api, jobHref } = useSurface();
  const [jobs, setJobs] = useState<JobSummaryJson[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Refreshing replaces what was loaded with the newest page (older pages are read again on demand).
  const load = useCallback(async () => {
    try {
      const page = await api.listPage();
      setJobs(page.jobs);
      setNextCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [api]);

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await api.listPage(nextCursor);
      setJobs((shown) => {
        const seen = new Set(shown?.map((job) => job.id));
        return [...(shown ?? []), ...page.jobs.filter((job) => !seen.has(job.id))];
      });
      setNextCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setLoadingMore(false);
    }
  };

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    const onFocus = () => void load();
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, [load]);

  return (
    <section aria-labelledby="history-heading" className="space-y-3">
      <div className="flex items-baseline justify-between">
        <h2 id="history-heading" className="text-base font-semibold text-fg">
          {t.history}
        </h2>
        {jobs && jobs.length > 0 && (
          <p className="text-xs text-muted">
            {t.videos(jobs.length)}
            {nextCursor ? "+" : ""}
          </p>
        )}
      </div>
      {error && <ErrorNote onRetry={() => void load()}>{t.couldNotLoad(error)}</ErrorNote>}
      {jobs === null && !error && (
        <ul aria-busy="true" aria-label={t.loading} className="space-y-2">
          {[0, 1, 2].map((n) => (
            <li key={n} className={`${cardClass} flex items-center gap-3 p-3`}>
              <Skeleton className="aspect-video w-24" />
              <div className="flex-1 space-y-2">
                <Skeleton className="h-4 w-2/3" />
                <Skeleton className="h-3 w-1/3" />
              </div>
            </li>
          ))}
        </ul>
      )}
      {jobs?.length === 0 && <EmptyState title={t.noVideos} hint={t.noVideosHint} />}
      {jobs && jobs.length > 0 && (
        <ul aria-label={t.history} className="space-y-2">
          {jobs.map((job) => (
            <li key={job.id}>
              <Link
                href={jobHref(job.id)}
                aria-label={job.topic}
                className={`${cardClass} flex items-center gap-3 p-3 transition hover:border-accent/60 focus-visible:outline-2 focus-visible:outline-accent`}
              >
                <span className={`${THUMB[job.aspect]} shrink-0 overflow-hidden rounded-lg bg-surface-2`}>
                  {job.thumbnails[0] && (
                    // biome-ignore lint/performance/noImgElement: the media route serves immutable files
                    <img
                      src={job.thumbnails[0].url}
                      alt=""
                      loading="lazy"
                      className="size-full object-cover"
                    />
                  )}
                </span>
                <span className="min-w-0 flex-1">
                  <span className="block truncate text-sm font-semibold text-fg">{job.topic}</span>
                  <span className="mt-0.5 block text-xs text-muted">
                    {job.parentJobId ? `${t.extension} · ` : ""}
                    {t.format(job.segmentCount, job.segmentSeconds)} · {job.aspect} ·{" "}
                    {t.timeAgo(minutesSince(job.createdAt))}
                  </span>
                </span>
                <StatusBadge status={job.status} />
              </Link>
            </li>
          ))}
        </ul>
      )}
      {jobs && nextCursor && (
        <div className="flex justify-center">
          <button
            type="button"
            onClick={() => void loadMore()}
            disabled={loadingMore}
            className={secondaryButton}
          >
            {loadingMore && <Spinner />}
            {loadingMore ? t.loadingMore : t.loadMore}
          </button>
        </div>
      )}
    </section>
  );
}
