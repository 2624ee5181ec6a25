"use client";

/**
 * One segment, enlarged, in a sheet over the grid (a bottom sheet on phones, a dialog on wide
 * screens): the picture or clip (or why making it failed, with a hint to reword the prompt after a
 * safety refusal), its narration and caption, the prompt of the current stage, and
 * the actions of the gate — regenerate (with the edited prompt) and, for images, edit the picture
 * with an instruction ("make the sky red") or upload your own.
 * Closes with the close button, Escape or a tap outside.
 */
import { useEffect, useId, useRef, useState } from "react";
import { createPortal } from "react-dom";
import type { SegmentJson } from "@/lib/http/job-json";
import { messageOf } from "./api";
import { EditableText } from "./editing";
import { useT } from "./i18n";
import { useSurface } from "./surface";
import {
  ASPECT_CLASS,
  ErrorNote,
  fieldClass,
  ghostButton,
  primaryButton,
  Skeleton,
  Spinner,
  secondaryButton,
} from "./ui";

/** Props of SegmentSheet. */
export interface SegmentSheetProps {
  jobId: string;
  segment: SegmentJson;
  aspect: "16:9" | "9:16" | "1:1";
  /** Which stage the sheet edits: the image (images gate) or the clip (clips gate). */
  mode: "image" | "clip";
  /** True while the job waits, unapproved, at the matching gate. */
  editable: boolean;
  onClose: () => void;
}

/** The segment sheet (see the module comment). */
export function SegmentSheet({ jobId, segment, aspect, mode, editable, onClose }: SegmentSheetProps) {
  const t = useT();
  const { api, haptic, setEditing } = useSurface();
  const titleId = useId();
  const promptId = useId();
  const instructionId = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const storedPrompt = mode === "image" ? segment.imagePrompt : segment.motionPrompt;
  const [prompt, setPrompt] = useState(storedPrompt);
  const [instruction, setInstruction] = useState("");
  const [busy, setBusy] = useState<"regenerate" | "edit" | "upload" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const status = mode === "image" ? segment.imageStatus : segment.clipStatus;
  const pending = status === "pending";
  const failure = status === "failed" ? (mode === "image" ? segment.imageError : segment.clipError) : null;
  const safetyRefusal = mode === "image" ? segment.imageSafetyRefusal : segment.clipSafetyRefusal;

  useEffect(() => {
    setEditing(true);
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => {
      setEditing(false);
      window.removeEventListener("keydown", onKey);
    };
  }, [onClose, setEditing]);

  async function run(kind: "regenerate" | "edit" | "upload", action: () => Promise<unknown>) {
    setBusy(kind);
    setError(null);
    haptic("impact");
    try {
      await action();
      haptic("success");
      if (kind !== "upload") onClose();
    } catch (err) {
      haptic("error");
      setError(messageOf(err));
    } finally {
      setBusy(null);
    }
  }

  const regenerate = () =>
    run("regenerate", () =>
      api.regenerate(
        jobId,
        segment.index,
        mode,
        prompt.trim() !== storedPrompt.trim() ? prompt.trim() : undefined,
      ),
    );
  const edit = () => run("edit", () => api.editImage(jobId, segment.index, instruction.trim()));
  const upload = (file: File) => run("upload", () => api.uploadImage(jobId, segment.index, file));
  const saveField = (patch: Parameters<typeof api.editSegment>[2]) =>
    api.editSegment(jobId, segment.index, patch);

  // A portal to <body>: the sheet must not inherit the spacing rules of the page it opens from.
  return createPortal(
    <div className="fixed inset-0 z-40 flex items-end justify-center sm:items-center sm:p-6">
      <button
        type="button"
        aria-label={t.close}
        tabIndex={-1}
        onClick={onClose}
        className="absolute inset-0 cursor-default bg-black/55 backdrop-blur-[2px]"
      />
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className="relative flex max-h-[92dvh] w-full flex-col overflow-hidden rounded-t-3xl bg-surface text-fg shadow-2xl sm:max-w-2xl sm:rounded-3xl lg:max-w-5xl"
      >
        <header className="flex items-center justify-between gap-3 px-4 pb-2 pt-3">
          <h2 id={titleId} className="text-sm font-semibold">
            {t.segmentLabel(segment.index + 1)} ·{" "}
            <span className="text-muted">{t.sections[segment.section]}</span>
          </h2>
          <button type="button" onClick={onClose} className={ghostButton}>
            {t.close}
          </button>
        </header>
        <div className="overflow-y-auto px-4 pb-5 lg:grid lg:grid-cols-[minmax(0,1.3fr)_minmax(0,1fr)] lg:items-start lg:gap-5">
          <div
            className={`relative mb-4 overflow-hidden rounded-2xl bg-black lg:sticky lg:top-0 lg:mb-0 ${ASPECT_CLASS[aspect]} ${aspect === "9:16" ? "mx-auto max-h-[48dvh] lg:max-h-[70dvh]" : "w-full"}`}
          >
            {pending ? (
              <Skeleton className="absolute inset-0 rounded-none" />
            ) : mode === "clip" && segment.clipUrl ? (
              <video
                src={segment.clipUrl}
                poster={segment.imageUrl ?? undefined}
                controls
                autoPlay
                muted
                loop
                playsInline
                className="size-full object-contain"
              />
            ) : segment.imageUrl ? (
              // biome-ignore lint/performance/noImgElement: the media route serves immutable files
              <img src={segment.imageUrl} alt={segment.caption} className="size-full object-contain" />
            ) : null}
            {pending && (
              <span className="absolute inset-x-0 bottom-3 text-center text-sm font-medium text-white/90">
                {mode === "image" ? t.rendering : t.animating}
              </span>
            )}
          </div>

          <div className="space-y-4">
            {status === "failed" && (
              <div
                role="alert"
                className="space-y-1 rounded-xl bg-danger/10 p-3 text-sm ring-1 ring-danger/30"
              >
                <p className="font-semibold text-danger">{t.failedTake}</p>
                {failure && (
                  <p data-testid="failure-reason" className="break-words text-fg">
                    {failure}
                  </p>
                )}
                <p className="text-xs text-muted">{safetyRefusal ? t.safetyHint : t.failedHint}</p>
              </div>
            )}
            <EditableText
              label={t.narration}
              value={segment.narration}
              disabled={!editable}
              onSave={(narration) => saveField({ narration })}
            />
            <EditableText
              label={t.caption}
              value={segment.caption}
              disabled={!editable}
              singleLine
              maxLength={60}
              onSave={(caption) => saveField({ caption })}
            />
            {mode === "image" && (
              <EditableText
                label={t.motionPrompt}
                value={segment.motionPrompt}
                disabled={!editable}
                singleLine
                onSave={(motionPrompt) => saveField({ motionPrompt })}
              />
            )}
            <div className="space-y-1">
              <label htmlFor={promptId} className="text-xs font-semibold text-muted">
                {mode === "image" ? t.imagePrompt : t.motionPrompt}
              </label>
              <textarea
                id={promptId}
                value={prompt}
                rows={3}
                disabled={!editable}
                onChange={(e) => setPrompt(e.target.value)}
                className={`${fieldClass} resize-y leading-relaxed disabled:opacity-70`}
              />
            </div>

            {error && <ErrorNote>{error}</ErrorNote>}

            {editable && (
              <div className="flex flex-wrap items-center gap-2">
                <button
                  type="button"
                  onClick={regenerate}
                  disabled={busy !== null || pending}
                  className={primaryButton}
                >
                  {busy === "regenerate" && <Spinner />}
                  {busy === "regenerate"
                    ? t.regenerating
                    : mode === "image"
                      ? t.regenerateImage
                      : t.regenerateClip}
                </button>
                {mode === "image" && (
                  <>
                    <div className="w-full space-y-1 border-t border-line pt-3">
                      <label htmlFor={instructionId} className="text-xs font-semibold text-muted">
                        {t.editInstruction}
                      </label>
                      <div className="flex flex-wrap gap-2">
                        <input
                          id={instructionId}
                          value={instruction}
                          maxLength={500}
                          placeholder={t.editInstructionPlaceholder}
                          disabled={busy !== null || pending || !segment.imageUrl}
                          onChange={(e) => setInstruction(e.target.value)}
                          onKeyDown={(e) => e.key === "Enter" && instruction.trim() && void edit()}
                          className={`${fieldClass} min-w-0 flex-1 disabled:opacity-70`}
                        />
                        <button
                          type="button"
                          onClick={edit}
                          disabled={busy !== null || pending || !segment.imageUrl || !instruction.trim()}
                          className={secondaryButton}
                        >
                          {busy === "edit" && <Spinner />}
                          {busy === "edit" ? t.editing : t.editImage}
                        </button>
                      </div>
                      <p className="text-xs text-muted">{t.editHint}</p>
                    </div>
                    <button
                      type="button"
                      onClick={() => fileInput.current?.click()}
                      disabled={busy !== null || pending}
                      className={secondaryButton}
                    >
                      {busy === "upload" && <Spinner />}
                      {busy === "upload" ? t.uploading : t.uploadImage}
                    </button>
                    <input
                      ref={fileInput}
                      type="file"
                      accept="image/png,image/jpeg,image/webp"
                      aria-label={t.uploadImage}
                      className="sr-only"
                      onChange={(e) => {
                        const file = e.target.files?.[0];
                        e.target.value = "";
                        if (file) void upload(file);
                      }}
                    />
                    <p className="w-full text-xs text-muted">{t.uploadHint}</p>
                  </>
                )}
              </div>
            )}
          </div>
        </div>
      </div>
    </div>,
    document.body,
  );
}
