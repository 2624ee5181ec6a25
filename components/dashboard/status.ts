/** How each job status reads and looks on the dashboard. */
import type { JobStatus } from "@/lib/db/schema";

/** Colour family of a status badge. */
export type StatusTone = "working" | "waiting" | "done" | "failed" | "idle";

/** Human label and badge tone per status. */
export const STATUS_DISPLAY: Record<JobStatus, { label: string; tone: StatusTone }> = {
  queued: { label: "Queued", tone: "working" },
  scripting: { label: "Writing script", tone: "working" },
  awaiting_script_approval: { label: "Script ready for review", tone: "waiting" },
  planning: { label: "Planning segments", tone: "working" },
  rendering_images: { label: "Rendering images", tone: "working" },
  awaiting_images_approval: { label: "Images ready for review", tone: "waiting" },
  animating: { label: "Animating clips", tone: "working" },
  awaiting_clips_approval: { label: "Clips ready for review", tone: "waiting" },
  narrating: { label: "Narrating", tone: "working" },
  assembling: { label: "Assembling video", tone: "working" },
  completed: { label: "Completed", tone: "done" },
  failed: { label: "Failed", tone: "failed" },
  cancelled: { label: "Cancelled", tone: "idle" },
};

/** Tailwind classes of the badge and of its dot, per tone. */
export const TONE_CLASSES: Record<StatusTone, { badge: string; dot: string }> = {
  working: {
    badge: "bg-sky-50 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/30",
    dot: "bg-sky-500 animate-pulse",
  },
  waiting: {
    badge:
      "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30",
    dot: "bg-amber-500",
  },
  done: {
    badge:
      "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/30",
    dot: "bg-emerald-500",
  },
  failed: {
    badge:
      "bg-rose-50 text-rose-800 ring-rose-600/20 dark:bg-rose-400/10 dark:text-rose-300 dark:ring-rose-400/30",
    dot: "bg-rose-500",
  },
  idle: {
    badge:
      "bg-neutral-100 text-neutral-600 ring-neutral-500/20 dark:bg-neutral-400/10 dark:text-neutral-400 dark:ring-neutral-400/25",
    dot: "bg-neutral-400",
  },
};
