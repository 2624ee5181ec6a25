"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { JobSummaryJson } from "@/lib/http/job-json";
import { jobsApi, messageOf } from "./api";
import { JobCard } from "./JobCard";
import { NewJobForm } from "./NewJobForm";

/** How often the job list is re-read while some job is still moving, in ms. */
export const POLL_INTERVAL_MS = 1_500;

/**
 * The dashboard body: the "New video" form and the owner's jobs, read from `GET /api/v1/jobs`.
 * While any job is not final the list is re-read every POLL_INTERVAL_MS (one request at a time);
 * polling stops once every job is final and resumes after the next action. Responses older than
 * the newest request are dropped, so a slow poll never overwrites fresher data.
 */
export function Dashboard() {
  const [jobs, setJobs] = useState<JobSummaryJson[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const latestRequest = useRef(0);

  const refresh = useCallback(async () => {
    const request = ++latestRequest.current;
    try {
      const next = await jobsApi.list();
      if (request !== latestRequest.current) return;
      setJobs(next);
      setListError(null);
    } catch (err) {
      if (request === latestRequest.current) setListError(messageOf(err));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const anyOpen = jobs?.some((job) => !job.final) ?? false;
  useEffect(() => {
    if (!anyOpen) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(tick, POLL_INTERVAL_MS);
    };
    timer = setTimeout(tick, POLL_INTERVAL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [anyOpen, refresh]);

  return (
    <div className="grid items-start gap-8 lg:grid-cols-[22rem_minmax(0,1fr)]">
      <div className="lg:sticky lg:top-6">
        <NewJobForm onCreated={refresh} />
      </div>
      <section aria-labelledby="videos-heading" className="space-y-4">
        <div className="flex items-baseline justify-between">
          <h2 id="videos-heading" className="text-base font-semibold">
            Videos
          </h2>
          {jobs && jobs.length > 0 && (
            <p className="text-xs text-neutral-500 dark:text-neutral-400">
              {anyOpen ? "Updating live" : `${jobs.length} ${jobs.length === 1 ? "video" : "videos"}`}
            </p>
          )}
        </div>
        {listError && (
          <p
            role="alert"
            className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:bg-rose-500/10 dark:text-rose-300"
          >
            Could not load the jobs: {listError}
          </p>
        )}
        {jobs === null && !listError && <p className="text-sm text-neutral-500">Loading…</p>}
        {jobs?.length === 0 && (
          <div className="rounded-2xl border border-dashed border-neutral-300 px-6 py-14 text-center dark:border-neutral-700">
            <p className="font-medium">No videos yet</p>
            <p className="mt-1 text-sm text-neutral-500 dark:text-neutral-400">
              Describe one in the form and it will show up here, stage by stage.
            </p>
          </div>
        )}
        {jobs && jobs.length > 0 && (
          <ul aria-label="Jobs" className="space-y-4">
            {jobs.map((job) => (
              <li key={job.id}>
                <JobCard job={job} onChanged={refresh} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
