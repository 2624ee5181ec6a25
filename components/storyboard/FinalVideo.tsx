"use client";

/**
 * The last stage: progress while narration and assembly run, then the player (the first image as
 * poster; captions from GET /api/v1/jobs/:id/captions.vtt, since browsers skip the MP4's own track)
 * with [Send to Telegram chat] (when the caller can), a download link and the Extend form. Jobs that ended without a video (failed,
 * cancelled, expired) show nothing here: the editor shows their note (JobEnded) above every step.
 */
import { useEffect, useState } from "react";
import type { JobViewJson } from "@/lib/http/job-json";
import { messageOf } from "./api";
import { ExtendPanel } from "./ExtendPanel";
import { useT } from "./i18n";
import { endedWithoutVideo } from "./JobEnded";
import { useSurface } from "./surface";
import { ASPECT_CLASS, cardClass, Skeleton, Spinner, StageBar, secondaryButton } from "./ui";

const PLAYER_SIZE: Record<"16:9" | "9:16" | "1:1", string> = {
  "16:9": "w-full",
  "9:16": "mx-auto h-[70dvh] max-h-[40rem]",
  "1:1": "mx-auto w-full max-w-xl",
};

/** The captions' label, in their own language (a track is named for its language, not the UI's). */
const CAPTION_LABEL: Record<"ru" | "en", string> = { ru: "Русские субтитры", en: "English captions" };

/** Where the job's captions are served as WebVTT (GET /api/v1/jobs/:id/captions.vtt). */
export function captionsUrl(jobId: string): string {
  return `/api/v1/jobs/${encodeURIComponent(jobId)}/captions.vtt`;
}

/**
 * [Send to Telegram chat]: POST /api/v1/jobs/:id/send-to-chat, then what happened (or the error).
 * Shown only when GET /api/v1/auth/me says the caller can (bot on, a Telegram account).
 */
function SendToChat({ jobId }: { jobId: string }) {
  const t = useT();
  const { api, haptic } = useSurface();
  const [allowed, setAllowed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    let live = true;
    api
      .me()
      .then((me) => live && setAllowed(me.canSendToChat === true))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api]);
  if (!allowed) return null;
  async function send() {
    setBusy(true);
    setNote(null);
    haptic("impact");
    try {
      const { method } = await api.sendToChat(jobId);
      haptic("success");
      setNote({ ok: true, text: t.sentToChat(method) });
    } catch (err) {
      haptic("error");
      setNote({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" onClick={send} disabled={busy} className={secondaryButton}>
        {busy && <Spinner />}
        <span aria-hidden="true">✈</span> {busy ? t.sendingToChat : t.sendToChat}
      </button>
      {note && (
        <p role="status" className={`w-full text-xs ${note.ok ? "text-muted" : "text-danger"}`}>
          {note.text}
        </p>
      )}
    </>
  );
}

/** The final stage (see the module comment). */
export function FinalVideo({ view }: { view: JobViewJson }) {
  const t = useT();
  const { job, counts, finalAsset } = view;
  if (endedWithoutVideo(job.status)) return null;
  if (job.status !== "completed" || !finalAsset) {
    return (
      <section aria-label={t.finalVideo} aria-busy="true" className={`${cardClass} space-y-4 p-4`}>
        <Skeleton className={`w-full rounded-xl ${ASPECT_CLASS[job.aspect]} ${PLAYER_SIZE[job.aspect]}`} />
        {job.status === "assembling" ? (
          <p className="text-sm text-muted">{t.assembling}</p>
        ) : (
          <StageBar label={t.stage.narration} done={counts.narration} total={counts.segments} />
        )}
      </section>
    );
  }
  return (
    <div className="space-y-4">
      <section aria-label={t.finalVideo} className={`${cardClass} space-y-3 p-3 sm:p-4`}>
        <video
          controls
          playsInline
          preload="metadata"
          src={finalAsset.url}
          poster={finalAsset.posterUrl ?? view.segments[0]?.imageUrl ?? undefined}
          aria-label={`${t.finalVideo}: ${job.topic}`}
          className={`${ASPECT_CLASS[job.aspect]} ${PLAYER_SIZE[job.aspect]} rounded-xl bg-black`}
        >
          {/* The MP4's own caption track (mov_text) is not shown by browsers: the same cues as WebVTT. */}
          <track
            kind="captions"
            default
            src={captionsUrl(job.id)}
            srcLang={job.language}
            label={CAPTION_LABEL[job.language]}
          />
        </video>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-xs text-muted">
            {finalAsset.durationSeconds ? `${Math.round(finalAsset.durationSeconds)} ${t.sec} · ` : ""}
            {finalAsset.width}×{finalAsset.height}
          </p>
          <div className="flex flex-wrap items-center gap-3">
            <SendToChat jobId={job.id} />
            <a
              href={finalAsset.url}
              download={`kadr-${job.id}.mp4`}
              className="inline-flex items-center gap-1.5 text-sm font-semibold text-link hover:underline"
            >
              <span aria-hidden="true">↓</span> {t.download}
            </a>
          </div>
        </div>
      </section>
      <ExtendPanel view={view} />
    </div>
  );
}
