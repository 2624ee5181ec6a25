"use client";

/**
 * Script review: the title, then intro / main / outro, each shown as the segments the script will
 * be cut into (the same `splitScript` the planner uses) with every segment's narration editable
 * and its estimated speaking time; a section can also be edited as one text. While the script is
 * still being written, skeletons stand in for it.
 */
import { useState } from "react";
import type { JobViewJson } from "@/lib/http/job-json";
import { splitScript } from "@/lib/storyboard/split";
import { estimateSpeechSeconds } from "@/lib/storyboard/text";
import { type Script, SECTIONS, type Section } from "@/lib/storyboard/types";
import { EditableText } from "./editing";
import { useT } from "./i18n";
import { useSurface } from "./surface";
import { cardClass, ghostButton, Skeleton } from "./ui";

/** Props of ScriptReview. */
export interface ScriptReviewProps {
  view: JobViewJson;
  /** True while the job waits, unapproved, at the script gate. */
  editable: boolean;
  /** Called with the script an edit stored. */
  onScript: (script: Script) => void;
}

/** The preview split of a script, or null when it cannot be cut (fewer words than segments). */
function previewOf(script: Script, view: JobViewJson) {
  try {
    return splitScript({
      script,
      segmentCount: view.job.segmentCount,
      segmentSeconds: view.job.segmentSeconds,
      language: view.job.language,
    });
  } catch {
    return null;
  }
}

/** The script review screen (see the module comment). */
export function ScriptReview({ view, editable, onScript }: ScriptReviewProps) {
  const t = useT();
  const { api } = useSurface();
  const script = view.job.script;
  if (!script) return <ScriptSkeleton label={t.writingScript} />;
  const preview = previewOf(script, view);
  const jobId = view.job.id;

  const saveTitle = async (title: string) => onScript((await api.editScript(jobId, { title })).script);

  return (
    <section aria-label={t.steps.script} className="space-y-4">
      <div className={`${cardClass} p-4`}>
        <EditableText
          label={t.scriptTitle}
          value={script.title}
          onSave={saveTitle}
          disabled={!editable}
          singleLine
        />
      </div>
      {preview && preview.overflowSeconds > 0 && (
        <p className="rounded-xl bg-warn/12 px-3.5 py-2.5 text-sm text-warn">
          {t.overflow(Math.round(preview.overflowSeconds))}
        </p>
      )}
      {SECTIONS.map((section) => (
        <SectionCard
          key={section}
          section={section}
          view={view}
          script={script}
          segments={preview?.segments.filter((s) => s.section === section) ?? []}
          editable={editable}
          onScript={onScript}
        />
      ))}
    </section>
  );
}

function SectionCard(props: {
  section: Section;
  view: JobViewJson;
  script: Script;
  segments: NonNullable<ReturnType<typeof previewOf>>["segments"];
  editable: boolean;
  onScript: (script: Script) => void;
}) {
  const { section, view, script, segments, editable, onScript } = props;
  const t = useT();
  const { api, haptic } = useSurface();
  const [asText, setAsText] = useState(segments.length === 0);
  const jobId = view.job.id;
  const { language, segmentSeconds } = view.job;
  const seconds = Math.round(estimateSpeechSeconds(script.sections[section], language));
  if (!script.sections[section].trim() && segments.length === 0 && !editable) return null;

  const saveSection = async (text: string) =>
    onScript((await api.editScript(jobId, { sections: { [section]: text } })).script);
  const saveSegment = async (index: number, narration: string) => {
    const result = await api.editSegment(jobId, index, { narration });
    if (result.kind === "script") onScript(result.script);
  };

  return (
    <section aria-label={t.sections[section]} className={`${cardClass} overflow-hidden`}>
      <header className="flex items-center justify-between gap-3 border-b border-line px-4 py-2.5">
        <div className="min-w-0">
          <h3 className="text-sm font-semibold text-fg">{t.sections[section]}</h3>
          <p className="text-xs text-muted">{t.sectionSummary(segments.length, seconds)}</p>
        </div>
        {editable && segments.length > 0 && (
          <button
            type="button"
            onClick={() => {
              haptic("selection");
              setAsText((v) => !v);
            }}
            className={`${ghostButton} shrink-0 text-xs`}
          >
            {asText ? t.editSegments : t.editAsText}
          </button>
        )}
      </header>
      {asText ? (
        <div className="p-4">
          <EditableText
            label={t.sectionText(t.sections[section])}
            hideLabel
            value={script.sections[section]}
            onSave={saveSection}
            disabled={!editable}
          />
        </div>
      ) : (
        <ol className="divide-y divide-line">
          {segments.map((segment) => (
            <li key={segment.index} className="flex gap-3 px-4 py-3">
              <span className="mt-6 grid size-6 shrink-0 place-items-center rounded-full bg-surface-2 text-[11px] font-semibold tabular-nums text-muted">
                {segment.index + 1}
              </span>
              <SegmentNarration
                index={segment.index}
                narration={segment.narration}
                language={language}
                segmentSeconds={segmentSeconds}
                editable={editable}
                onSave={(text) => saveSegment(segment.index, text)}
              />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function SegmentNarration(props: {
  index: number;
  narration: string;
  language: "ru" | "en";
  segmentSeconds: number;
  editable: boolean;
  onSave: (text: string) => Promise<unknown>;
}) {
  const { index, narration, language, segmentSeconds, editable, onSave } = props;
  const t = useT();
  return (
    <EditableText
      className="min-w-0 flex-1"
      label={t.segmentLabel(index + 1)}
      value={narration}
      onSave={onSave}
      disabled={!editable}
      hint={(draft) => {
        const estimate = estimateSpeechSeconds(draft, language);
        const tooLong = estimate > segmentSeconds;
        return (
          <span
            data-testid="narration-estimate"
            title={tooLong ? t.tooLong(segmentSeconds) : undefined}
            className={`text-xs tabular-nums ${tooLong ? "text-warn" : "text-muted"}`}
          >
            {t.estimated(estimate)}
            {tooLong && <span className="sr-only"> ({t.tooLong(segmentSeconds)})</span>}
          </span>
        );
      }}
    />
  );
}

function ScriptSkeleton({ label }: { label: string }) {
  return (
    <section aria-label={label} aria-busy="true" className="space-y-4">
      <p className="text-sm text-muted">{label}</p>
      {[0, 1, 2].map((n) => (
        <div key={n} className={`${cardClass} space-y-3 p-4`}>
          <Skeleton className="h-4 w-32" />
          <Skeleton className="h-14 w-full" />
          <Skeleton className="h-14 w-full" />
        </div>
      ))}
    </section>
  );
}
