"use client";

/**
 * Small building blocks of the storyboard screens: status badge, stage progress bar, skeletons,
 * alerts, empty states and button styles. Colours come only from the design tokens in
 * app/globals.css, so both surfaces and both themes work.
 */
import type { ReactNode } from "react";
import type { JobStatus } from "@/lib/db/schema";
import { useT } from "./i18n";

/** Colour family of a status. */
type Tone = "working" | "waiting" | "done" | "failed" | "idle";

const TONE_OF: Record<JobStatus, Tone> = {
  queued: "working",
  scripting: "working",
  awaiting_script_approval: "waiting",
  planning: "working",
  rendering_images: "working",
  awaiting_images_approval: "waiting",
  animating: "working",
  awaiting_clips_approval: "waiting",
  narrating: "working",
  assembling: "working",
  completed: "done",
  failed: "failed",
  cancelled: "idle",
  expired: "idle",
};

const TONE_CLASSES: Record<Tone, { badge: string; dot: string }> = {
  working: { badge: "bg-accent/12 text-link", dot: "bg-accent animate-pulse" },
  waiting: { badge: "bg-warn/15 text-warn", dot: "bg-warn" },
  done: { badge: "bg-success/15 text-success", dot: "bg-success" },
  failed: { badge: "bg-danger/12 text-danger", dot: "bg-danger" },
  idle: { badge: "bg-surface-2 text-muted", dot: "bg-muted" },
};

/** Button look of the main action. */
export const primaryButton =
  "inline-flex items-center justify-center gap-2 rounded-xl bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition hover:brightness-110 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:cursor-not-allowed disabled:opacity-55";
/** Button look of secondary actions. */
export const secondaryButton =
  "inline-flex items-center justify-center gap-2 rounded-xl bg-surface-2 px-3.5 py-2 text-sm font-semibold text-fg transition hover:brightness-95 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:cursor-not-allowed disabled:opacity-55";
/** Look of quiet text buttons (cancel, close). */
export const ghostButton =
  "inline-flex items-center justify-center gap-1.5 rounded-lg px-3 py-2 text-sm font-medium text-muted transition hover:bg-surface-2 hover:text-fg focus-visible:outline-2 focus-visible:outline-accent disabled:opacity-55";
/** Look of text inputs and text areas. */
export const fieldClass =
  "w-full rounded-xl border border-line bg-surface px-3 py-2 text-sm text-fg outline-none transition placeholder:text-muted focus:border-accent focus:ring-2 focus:ring-accent/25";
/** Look of a card. */
export const cardClass = "rounded-2xl border border-line bg-surface shadow-sm";

/** The job status as a coloured pill. */
export function StatusBadge({ status }: { status: JobStatus }) {
  const t = useT();
  const tone = TONE_CLASSES[TONE_OF[status]];
  return (
    <span
      className={`inline-flex shrink-0 items-center gap-1.5 rounded-full px-2.5 py-1 text-xs font-medium ${tone.badge}`}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${tone.dot}`} />
      <span data-testid="job-status">{t.status[status]}</span>
    </span>
  );
}

/** One stage's progress, e.g. "images 7/10", as an ARIA progressbar named after the stage. */
export function StageBar({ label, done, total }: { label: string; done: number; total: number }) {
  const percent = total > 0 ? Math.round((Math.min(done, total) / total) * 100) : 0;
  const complete = total > 0 && done >= total;
  return (
    <div className="min-w-0 flex-1">
      <div className="mb-1 flex items-baseline justify-between gap-2 text-xs">
        <span className="text-muted">{label}</span>
        <span className="tabular-nums text-muted">
          {done}/{total}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={`${label} ${done}/${total}`}
        className="h-1.5 overflow-hidden rounded-full bg-surface-2"
      >
        <div
          className={`h-full rounded-full transition-[width] duration-500 ${complete ? "bg-success" : "bg-accent"}`}
          style={{ width: `${percent}%` }}
        />
      </div>
    </div>
  );
}

/** A shimmering placeholder block. */
export function Skeleton({ className = "" }: { className?: string }) {
  return <div aria-hidden="true" className={`k-skeleton rounded-lg ${className}`} />;
}

/** An error message with an optional retry button. */
export function ErrorNote({ children, onRetry }: { children: ReactNode; onRetry?: () => void }) {
  const t = useT();
  return (
    <div
      role="alert"
      className="flex items-start justify-between gap-3 rounded-xl bg-danger/10 px-3.5 py-2.5 text-sm text-danger"
    >
      <span className="min-w-0 break-words">{children}</span>
      {onRetry && (
        <button
          type="button"
          onClick={onRetry}
          className="shrink-0 font-semibold underline underline-offset-2"
        >
          {t.retry}
        </button>
      )}
    </div>
  );
}

/** A centred message for empty and final states. */
export function EmptyState({
  title,
  hint,
  children,
}: {
  title: string;
  hint?: string;
  children?: ReactNode;
}) {
  return (
    <div className="rounded-2xl border border-dashed border-line px-6 py-12 text-center">
      <p className="font-semibold text-fg">{title}</p>
      {hint && <p className="mx-auto mt-1 max-w-sm text-sm text-muted">{hint}</p>}
      {children && <div className="mt-4">{children}</div>}
    </div>
  );
}

/** A small spinner for busy buttons. */
export function Spinner() {
  return (
    <span
      aria-hidden="true"
      className="inline-block size-3.5 animate-spin rounded-full border-2 border-current border-r-transparent"
    />
  );
}

/** CSS aspect-ratio class per job aspect. */
export const ASPECT_CLASS: Record<"16:9" | "9:16" | "1:1", string> = {
  "16:9": "aspect-video",
  "9:16": "aspect-[9/16]",
  "1:1": "aspect-square",
};
