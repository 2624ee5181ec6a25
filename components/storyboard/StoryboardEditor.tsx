"use client";

/**
 * One job's page on both surfaces: title and status, a stepper (Script → Images → Clips → Video)
 * whose finished steps can be reopened read-only, stage progress bars, the screen of the current
 * stage, and the gate's primary action ("Approve 10 images") through the surface (a sticky button
 * on the dashboard, Telegram's MainButton in the Mini App). The view is live (useJobLive).
 */
import Link from "next/link";
import { useEffect, useState } from "react";
import type { Gate } from "@/lib/db/schema";
import type { JobViewJson } from "@/lib/http/job-json";
import { messageOf } from "./api";
import { SaveTrackerProvider, useFlushSaves } from "./editing";
import { FinalVideo } from "./FinalVideo";
import { useT } from "./i18n";
import { endedWithoutVideo, JobEnded } from "./JobEnded";
import { ClipGrid, ImageGrid } from "./MediaGrid";
import { ScriptReview } from "./ScriptReview";
import { type PrimaryAction, useSurface } from "./surface";
import { EmptyState, ErrorNote, ghostButton, Skeleton, Spinner, StageBar, StatusBadge } from "./ui";
import { useJobLive } from "./useJobLive";

/** The four steps of a job. */
type Step = "script" | "images" | "clips" | "video";
const STEPS: readonly Step[] = ["script", "images", "clips", "video"];

/** The step a job is at: by status while it runs, by what it produced once it stopped. */
export function stepOf(view: JobViewJson): Step {
  // An extension has no script of its own: it starts at its one image.
  if (view.job.source === "extension" && view.job.status === "queued") return "images";
  switch (view.job.status) {
    case "queued":
    case "scripting":
    case "awaiting_script_approval":
      return "script";
    case "planning":
    case "rendering_images":
    case "awaiting_images_approval":
      return "images";
    case "animating":
    case "awaiting_clips_approval":
      return "clips";
    case "narrating":
    case "assembling":
    case "completed":
      return "video";
    default:
      if (view.finalAsset) return "video";
      if (view.counts.clips > 0) return "clips";
      return view.segments.length > 0 ? "images" : "script";
  }
}

/** The job page body (see the module comment). */
export function StoryboardEditor({ jobId }: { jobId: string }) {
  const t = useT();
  const { homeHref } = useSurface();
  const live = useJobLive(jobId);
  if (live.error) {
    return live.error.notFound ? (
      <EmptyState title={t.jobNotFound}>
        <a href={homeHref} className="text-sm font-semibold text-link hover:underline">
          {t.history}
        </a>
      </EmptyState>
    ) : (
      <ErrorNote onRetry={live.reload}>{t.couldNotLoad(live.error.message)}</ErrorNote>
    );
  }
  if (!live.view) return <EditorSkeleton />;
  return (
    <SaveTrackerProvider>
      <Editor view={live.view} setView={live.setView} />
    </SaveTrackerProvider>
  );
}

function Editor({ view, setView }: { view: JobViewJson; setView: (view: JobViewJson) => void }) {
  const t = useT();
  const { api, haptic, jobHref, PrimaryAction: PrimaryActionSlot } = useSurface();
  const flushSaves = useFlushSaves();
  const current = stepOf(view);
  const [shown, setShown] = useState<Step>(current);
  const [pending, setPending] = useState<"approve" | "cancel" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { job, counts } = view;
  const gate = view.awaitingGate;
  const approved = gate !== null && view.approvals.some((a) => a.gate === gate);
  const editableGate: Gate | null = gate && !approved ? gate : null;

  // Follow the job to its next stage.
  useEffect(() => setShown(current), [current]);

  async function act(kind: "approve" | "cancel", action: () => Promise<unknown>) {
    setPending(kind);
    setError(null);
    try {
      await action();
      haptic("success");
    } catch (err) {
      haptic("error");
      setError(messageOf(err));
    } finally {
      setPending(null);
    }
  }

  let primary: PrimaryAction | null = null;
  if (editableGate) {
    const ready =
      editableGate === "images" ? counts.images : editableGate === "clips" ? counts.clips : counts.segments;
    const allReady = ready >= counts.segments;
    primary = {
      label:
        allReady || editableGate === "script"
          ? t.approve(editableGate, counts.segments)
          : t.waitingFor(ready, counts.segments),
      disabled: editableGate !== "script" && !allReady,
      busy: pending === "approve",
      onClick: () =>
        act("approve", async () => {
          await flushSaves();
          await api.approve(job.id, editableGate);
          setView({
            ...view,
            approvals: [
              ...view.approvals,
              { gate: editableGate, actor: "you", createdAt: new Date().toISOString() },
            ],
          });
        }),
    };
  }

  const stepIndex = STEPS.indexOf(current);
  const stageBars = counts.segments > 0 && view.segments.length > 0 && !(view.final && counts.images === 0);

  return (
    <div className="space-y-5">
      <header className="space-y-3">
        <div className="flex items-start justify-between gap-3">
          <div className="min-w-0">
            <h1 className="text-lg font-semibold leading-snug text-fg sm:text-xl">
              {job.script?.title || job.topic}
            </h1>
            <p className="mt-0.5 text-xs text-muted">
              {t.format(job.segmentCount, job.segmentSeconds)} · {job.aspect} · {job.language.toUpperCase()}
            </p>
            <p className="mt-0.5 text-xs tabular-nums text-muted" data-testid="job-cost">
              {t.spentSoFar(view.cost.credits, view.cost.usd)}
            </p>
            {job.parentJobId && (
              <p className="mt-1 text-xs text-muted" data-testid="parent-link">
                {t.extensionOf}{" "}
                <Link href={jobHref(job.parentJobId)} className="font-semibold text-link hover:underline">
                  {t.theOriginal}
                </Link>
              </p>
            )}
          </div>
          <StatusBadge status={job.status} />
        </div>
        <nav aria-label={t.stages}>
          <ol className="grid grid-cols-4 gap-1.5">
            {STEPS.map((step, i) => {
              const reachable = i <= stepIndex;
              const active = step === shown;
              return (
                <li key={step}>
                  <button
                    type="button"
                    disabled={!reachable}
                    aria-current={active ? "step" : undefined}
                    onClick={() => {
                      haptic("selection");
                      setShown(step);
                    }}
                    className={`w-full truncate whitespace-nowrap rounded-lg px-1 py-1.5 text-center text-[11px] font-semibold transition sm:text-xs ${
                      active
                        ? "bg-accent text-accent-fg"
                        : reachable
                          ? "bg-surface-2 text-fg hover:brightness-95"
                          : "bg-surface-2/50 text-muted"
                    }`}
                  >
                    {i < stepIndex && <span aria-hidden="true">✓&#8239;</span>}
                    {t.steps[step]}
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>
        {stageBars && (
          <div className="flex gap-3">
            <StageBar label={t.stage.images} done={counts.images} total={counts.segments} />
            <StageBar label={t.stage.clips} done={counts.clips} total={counts.segments} />
            <StageBar label={t.stage.narration} done={counts.narration} total={counts.segments} />
          </div>
        )}
      </header>

      {endedWithoutVideo(job.status) && <JobEnded view={view} />}
      {error && <ErrorNote>{error}</ErrorNote>}

      {shown === "script" && (
        <ScriptReview
          view={view}
          editable={editableGate === "script"}
          onScript={(script) => setView({ ...view, job: { ...job, script } })}
        />
      )}
      {shown === "images" && <ImageGrid view={view} editable={editableGate === "images"} />}
      {shown === "clips" && <ClipGrid view={view} editable={editableGate === "clips"} />}
      {shown === "video" && <FinalVideo view={view} />}

      {gate && approved && <p className="text-sm text-muted">{t.approved}</p>}

      {!view.final && (
        <div className="flex justify-center">
          <button
            type="button"
            onClick={() => act("cancel", () => api.cancel(job.id))}
            disabled={pending !== null}
            className={ghostButton}
          >
            {pending === "cancel" && <Spinner />}
            {pending === "cancel" ? t.cancelling : t.cancelVideo}
          </button>
        </div>
      )}
      <PrimaryActionSlot action={shown === current ? primary : null} />
    </div>
  );
}

function EditorSkeleton() {
  const t = useT();
  return (
    <div role="status" aria-busy="true" aria-label={t.loading} className="space-y-5">
      <div className="flex items-start justify-between gap-3">
        <div className="space-y-2">
          <Skeleton className="h-6 w-56" />
          <Skeleton className="h-3 w-32" />
        </div>
        <Skeleton className="h-6 w-24 rounded-full" />
      </div>
      <div className="grid grid-cols-4 gap-1.5">
        {STEPS.map((step) => (
          <Skeleton key={step} className="h-7" />
        ))}
      </div>
      <div className="grid grid-cols-2 gap-2.5 sm:grid-cols-3">
        {[0, 1, 2, 3, 4, 5].map((n) => (
          <Skeleton key={n} className="aspect-video w-full rounded-xl" />
        ))}
      </div>
    </div>
  );
}
