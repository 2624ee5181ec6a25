"use client";

/**
 * The storyboard grids: every segment as a thumbnail with its number and section, the picture
 * first. The image grid opens a segment in a sheet on tap; the clip grid plays a clip on tap and
 * opens the sheet from its edit button. Segments still rendering show a shimmering placeholder in
 * place (progress where it happens), failed ones show why (the provider's reason, whole in the
 * sheet); before segments exist, placeholders
 * stand in for all of them.
 */
import { useRef, useState } from "react";
import type { JobViewJson, SegmentJson } from "@/lib/http/job-json";
import { useT } from "./i18n";
import { SegmentSheet } from "./SegmentSheet";
import { useSurface } from "./surface";
import { ASPECT_CLASS, Skeleton } from "./ui";

/** Props of both grids. */
export interface MediaGridProps {
  view: JobViewJson;
  /** True while the job waits, unapproved, at this grid's gate. */
  editable: boolean;
}

const GRID_COLUMNS: Record<"16:9" | "9:16" | "1:1", string> = {
  "16:9": "grid-cols-2 sm:grid-cols-3 xl:grid-cols-4",
  "9:16": "grid-cols-3 sm:grid-cols-4 xl:grid-cols-6",
  "1:1": "grid-cols-2 sm:grid-cols-3 xl:grid-cols-5",
};

/** Number chip and section label over a thumbnail. */
function Labels({ segment }: { segment: SegmentJson }) {
  const t = useT();
  return (
    <>
      <span className="absolute left-1.5 top-1.5 rounded-md bg-black/60 px-1.5 py-0.5 text-[11px] font-semibold tabular-nums text-white">
        {segment.index + 1}
      </span>
      <span className="absolute right-1.5 top-1.5 rounded-md bg-black/55 px-1.5 py-0.5 text-[10px] font-medium uppercase tracking-wide text-white/90">
        {t.sections[segment.section]}
      </span>
    </>
  );
}

/** State overlay of a segment's media: rendering placeholder, or the failure with its reason. */
function StatusOverlay({
  status,
  pendingLabel,
  reason,
}: {
  status: SegmentJson["imageStatus"];
  pendingLabel: string;
  /** Why the take failed (imageError / clipError); null = just "Failed". */
  reason: string | null;
}) {
  const t = useT();
  if (status === "pending") {
    return (
      <>
        <Skeleton className="absolute inset-0 rounded-none" />
        <span className="absolute inset-0 grid place-items-center text-xs font-medium text-muted">
          {pendingLabel}
        </span>
      </>
    );
  }
  if (status === "failed") {
    return (
      <span
        title={reason ?? undefined}
        className="absolute inset-0 flex flex-col items-center justify-center gap-0.5 bg-danger/15 px-2 pt-6 text-center text-danger"
      >
        <span className="text-xs font-semibold">{t.failedTake}</span>
        {reason && (
          <span data-testid="failure-reason" className="line-clamp-3 text-[10px] leading-snug text-fg">
            {reason}
          </span>
        )}
      </span>
    );
  }
  return null;
}

/** Placeholders for segments that are not planned yet. */
function PlaceholderGrid({ view, label }: { view: JobViewJson; label: string }) {
  const aspect = view.job.aspect;
  return (
    <ul aria-label={label} aria-busy="true" className={`grid gap-2.5 ${GRID_COLUMNS[aspect]}`}>
      {Array.from({ length: view.job.segmentCount }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have nothing but their position
        <li key={i}>
          <Skeleton className={`w-full rounded-xl ${ASPECT_CLASS[aspect]}`} />
        </li>
      ))}
    </ul>
  );
}

/** The image grid of the images gate. */
export function ImageGrid({ view, editable }: MediaGridProps) {
  const t = useT();
  const { haptic } = useSurface();
  const [open, setOpen] = useState<number | null>(null);
  const aspect = view.job.aspect;
  if (view.segments.length === 0) return <PlaceholderGrid view={view} label={t.imageGrid} />;
  const segment = open === null ? undefined : view.segments[open];
  return (
    <>
      <ul aria-label={t.imageGrid} className={`grid gap-2.5 ${GRID_COLUMNS[aspect]}`}>
        {view.segments.map((s) => (
          <li key={s.index} data-status={s.imageStatus}>
            <button
              type="button"
              aria-label={t.enlarge(s.index + 1)}
              onClick={() => {
                haptic("selection");
                setOpen(s.index);
              }}
              className={`group relative block w-full overflow-hidden rounded-xl bg-surface-2 ring-1 ring-line transition hover:ring-2 hover:ring-accent focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent ${ASPECT_CLASS[aspect]}`}
            >
              {s.imageUrl && s.imageStatus === "ready" && (
                // biome-ignore lint/performance/noImgElement: the media route serves immutable files
                <img
                  src={s.imageThumbUrl ?? s.imageUrl}
                  alt={s.caption || t.segmentLabel(s.index + 1)}
                  loading="lazy"
                  decoding="async"
                  className="size-full object-cover transition duration-300 group-hover:scale-[1.03]"
                />
              )}
              <StatusOverlay status={s.imageStatus} pendingLabel={t.rendering} reason={s.imageError} />
              <Labels segment={s} />
            </button>
          </li>
        ))}
      </ul>
      {segment && (
        <SegmentSheet
          jobId={view.job.id}
          segment={segment}
          aspect={aspect}
          mode="image"
          editable={editable}
          onClose={() => setOpen(null)}
        />
      )}
    </>
  );
}

/** The clip grid of the clips gate. */
export function ClipGrid({ view, editable }: MediaGridProps) {
  const t = useT();
  const [open, setOpen] = useState<number | null>(null);
  const aspect = view.job.aspect;
  if (view.segments.length === 0) return <PlaceholderGrid view={view} label={t.clipGrid} />;
  const segment = open === null ? undefined : view.segments[open];
  return (
    <>
      <ul aria-label={t.clipGrid} className={`grid gap-2.5 ${GRID_COLUMNS[aspect]}`}>
        {view.segments.map((s) => (
          <li key={s.index} data-status={s.clipStatus} className="space-y-1">
            <ClipTile segment={s} aspect={aspect} />
            <div className="flex items-center justify-between gap-1 px-0.5">
              <span className="truncate text-[11px] text-muted" title={s.motionPrompt}>
                {s.motionPrompt}
              </span>
              <button
                type="button"
                onClick={() => setOpen(s.index)}
                aria-label={`${t.motionPrompt} ${s.index + 1}`}
                className="shrink-0 rounded-md px-1.5 py-0.5 text-xs font-semibold text-link hover:bg-surface-2"
              >
                ✎
              </button>
            </div>
          </li>
        ))}
      </ul>
      {segment && (
        <SegmentSheet
          jobId={view.job.id}
          segment={segment}
          aspect={aspect}
          mode="clip"
          editable={editable}
          onClose={() => setOpen(null)}
        />
      )}
    </>
  );
}

/** A clip thumbnail that plays (muted, looping) on tap and pauses on the next. */
function ClipTile({ segment, aspect }: { segment: SegmentJson; aspect: "16:9" | "9:16" | "1:1" }) {
  const t = useT();
  const { haptic } = useSurface();
  const video = useRef<HTMLVideoElement>(null);
  const [playing, setPlaying] = useState(false);
  const ready = segment.clipStatus === "ready" && segment.clipUrl;
  const toggle = () => {
    const el = video.current;
    if (!el) return;
    haptic("selection");
    if (el.paused) void el.play();
    else el.pause();
  };
  return (
    <button
      type="button"
      aria-label={t.playClip(segment.index + 1)}
      aria-pressed={playing}
      disabled={!ready}
      onClick={toggle}
      className={`relative block w-full overflow-hidden rounded-xl bg-surface-2 ring-1 ring-line focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent ${ASPECT_CLASS[aspect]}`}
    >
      {ready ? (
        <video
          ref={video}
          src={segment.clipUrl ?? undefined}
          poster={segment.clipThumbUrl ?? segment.imageUrl ?? undefined}
          muted
          loop
          playsInline
          preload="metadata"
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          className="size-full object-cover"
        />
      ) : (
        segment.imageUrl && (
          // biome-ignore lint/performance/noImgElement: the media route serves immutable files
          <img src={segment.imageUrl} alt="" className="size-full object-cover opacity-60" />
        )
      )}
      <StatusOverlay status={segment.clipStatus} pendingLabel={t.animating} reason={segment.clipError} />
      {ready && !playing && (
        <span
          aria-hidden="true"
          className="absolute inset-0 m-auto grid size-9 place-items-center rounded-full bg-black/55 text-sm text-white"
        >
          ▶
        </span>
      )}
      <Labels segment={segment} />
    </button>
  );
}
