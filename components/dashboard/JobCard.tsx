"use client";

import { useId, useState } from "react";
import type { Gate } from "@/lib/db/schema";
import type { JobSummaryJson } from "@/lib/http/job-json";
import { jobsApi, messageOf } from "./api";
import { ScriptReview } from "./ScriptReview";
import { StageBar } from "./StageBar";
import { STATUS_DISPLAY, TONE_CLASSES } from "./status";

/** Label of the approve button at each gate, e.g. "Approve 10 images". */
function approveLabel(gate: Gate, job: JobSummaryJson): string {
  if (gate === "script") return "Approve script";
  return `Approve ${gate === "images" ? job.counts.images : job.counts.clips} ${gate}`;
}

/** "just now", "5 min ago", "3 h ago", or a date. */
function timeAgo(iso: string): string {
  const minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 24 * 60) return `${Math.round(minutes / 60)} h ago`;
  return new Date(iso).toLocaleDateString();
}

const THUMB_SIZE: Record<JobSummaryJson["aspect"], string> = {
  "16:9": "h-20 aspect-video",
  "9:16": "h-28 aspect-[9/16]",
  "1:1": "h-20 aspect-square",
};

const VIDEO_SIZE: Record<JobSummaryJson["aspect"], string> = {
  "16:9": "w-full aspect-video",
  "9:16": "mx-auto h-[28rem] max-h-[70vh] aspect-[9/16]",
  "1:1": "mx-auto w-full max-w-md aspect-square",
};

const buttonBase =
  "rounded-lg px-3.5 py-1.5 text-sm font-semibold transition focus-visible:outline-2 focus-visible:outline-offset-2 disabled:cursor-wait disabled:opacity-60";

/**
 * One job on the dashboard: topic, status badge, stage progress bars (hidden for jobs that ended
 * before producing anything), image thumbnails, the script at the script gate, an approve button
 * for the gate the job waits at, a cancel button while the job is open, and the player with a
 * download link once the video is done. Calls `onChanged` after an action succeeded so the list
 * refreshes; action errors are shown inside the card.
 */
export function JobCard({ job, onChanged }: { job: JobSummaryJson; onChanged: () => void }) {
  const titleId = useId();
  const [pending, setPending] = useState<"approve" | "cancel" | null>(null);
  const [approvedGate, setApprovedGate] = useState<Gate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const status = STATUS_DISPLAY[job.status];
  const tone = TONE_CLASSES[status.tone];
  const gate = job.awaitingGate;

  async function act(kind: "approve" | "cancel", action: () => Promise<unknown>) {
    setPending(kind);
    setError(null);
    try {
      await action();
      onChanged();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setPending(null);
    }
  }

  const cancel = () => act("cancel", () => jobsApi.cancel(job.id));
  const approve = (at: Gate) =>
    act("approve", async () => {
      await jobsApi.approve(job.id, at);
      setApprovedGate(at);
    });

  return (
    <article
      aria-labelledby={titleId}
      className="space-y-4 rounded-2xl border border-neutral-200 bg-white p-5 shadow-sm dark:border-neutral-800 dark:bg-neutral-900/60"
    >
      <header className="flex items-start justify-between gap-4">
        <div className="min-w-0">
          <h3 id={titleId} className="truncate text-base font-semibold" title={job.topic}>
            {job.topic}
          </h3>
          <p className="mt-0.5 text-xs text-neutral-500 dark:text-neutral-400">
            {job.segmentCount} × {job.segmentSeconds} s · {job.aspect} · {job.language.toUpperCase()} ·{" "}
            {timeAgo(job.createdAt)}
          </p>
        </div>
        <span
          className={`inline-flex shrink-0 items-center gap-1.5 rounded-full px-2.5 py-1 text-xs font-medium ring-1 ring-inset ${tone.badge}`}
        >
          <span aria-hidden="true" className={`size-1.5 rounded-full ${tone.dot}`} />
          <span data-testid="job-status">{status.label}</span>
        </span>
      </header>

      {!(job.final && job.counts.images === 0) && (
        <div className="flex gap-4">
          <StageBar label="images" done={job.counts.images} total={job.segmentCount} />
          <StageBar label="clips" done={job.counts.clips} total={job.segmentCount} />
          <StageBar label="narration" done={job.counts.narration} total={job.segmentCount} />
        </div>
      )}

      {job.thumbnails.length > 0 && (
        <ul aria-label="Segment images" className="-mx-1 flex gap-2 overflow-x-auto px-1 pb-1">
          {job.thumbnails.map((thumb) => (
            <li key={thumb.index} className="shrink-0">
              {/* biome-ignore lint/performance/noImgElement: plain img; the media route already serves immutable, cached files */}
              <img
                src={thumb.url}
                alt={`Segment ${thumb.index + 1}`}
                loading="lazy"
                className={`${THUMB_SIZE[job.aspect]} rounded-md object-cover ring-1 ring-black/5 dark:ring-white/10`}
              />
            </li>
          ))}
        </ul>
      )}

      {gate === "script" && <ScriptReview jobId={job.id} />}

      {job.videoUrl && (
        <div className="space-y-2">
          {/* biome-ignore lint/a11y/useMediaCaption: the narration has no caption track yet */}
          <video
            controls
            preload="metadata"
            src={job.videoUrl}
            poster={job.thumbnails[0]?.url}
            aria-label={`Video: ${job.topic}`}
            className={`${VIDEO_SIZE[job.aspect]} rounded-xl bg-black`}
          />
          <a
            href={job.videoUrl}
            download={`kadr-${job.id}.mp4`}
            className="inline-flex items-center gap-1.5 text-sm font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400"
          >
            <span aria-hidden="true">↓</span> Download MP4
          </a>
        </div>
      )}

      {job.status === "failed" && job.error && (
        <p className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:bg-rose-500/10 dark:text-rose-300">
          {job.error}
        </p>
      )}

      {error && (
        <p
          role="alert"
          className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:bg-rose-500/10 dark:text-rose-300"
        >
          {error}
        </p>
      )}

      {!job.final && (
        <footer className="flex items-center justify-end gap-2 border-t border-neutral-100 pt-4 dark:border-neutral-800">
          {gate && approvedGate === gate && (
            <span className="mr-auto text-sm text-neutral-500 dark:text-neutral-400">
              Approved — continuing…
            </span>
          )}
          <button
            type="button"
            onClick={cancel}
            disabled={pending !== null}
            className={`${buttonBase} text-neutral-600 hover:bg-neutral-100 focus-visible:outline-neutral-500 dark:text-neutral-300 dark:hover:bg-neutral-800`}
          >
            {pending === "cancel" ? "Cancelling…" : "Cancel"}
          </button>
          {gate && approvedGate !== gate && (
            <button
              type="button"
              onClick={() => approve(gate)}
              disabled={pending !== null}
              className={`${buttonBase} bg-indigo-600 text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-indigo-600`}
            >
              {pending === "approve" ? "Approving…" : approveLabel(gate, job)}
            </button>
          )}
        </footer>
      )}
    </article>
  );
}
