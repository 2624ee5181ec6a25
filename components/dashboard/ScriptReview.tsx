"use client";

import { useEffect, useState } from "react";
import type { Script } from "@/lib/storyboard/types";
import { jobsApi, messageOf } from "./api";

const SECTION_LABELS = { intro: "Intro", main: "Main", outro: "Outro" } as const;

/**
 * The script of a job waiting at the script gate, loaded once from `GET /api/v1/jobs/:id` and
 * shown section by section for review.
 */
export function ScriptReview({ jobId }: { jobId: string }) {
  const [script, setScript] = useState<Script | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    jobsApi
      .get(jobId)
      .then((view) => {
        if (!current) return;
        if (view.job.script) setScript(view.job.script);
        else setError("The script is not stored yet");
      })
      .catch((err) => current && setError(messageOf(err)));
    return () => {
      current = false;
    };
  }, [jobId]);

  if (error) {
    return (
      <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
        Could not load the script: {error}
      </p>
    );
  }
  if (!script) return <p className="text-sm text-neutral-500">Loading script…</p>;
  return (
    <section
      aria-label="Script"
      className="max-h-72 space-y-3 overflow-y-auto rounded-xl border border-neutral-200 bg-neutral-50 p-4 text-sm leading-relaxed dark:border-neutral-800 dark:bg-neutral-950/50"
    >
      <h4 className="font-semibold">{script.title}</h4>
      {(["intro", "main", "outro"] as const).map((section) =>
        script.sections[section] ? (
          <div key={section}>
            <p className="text-[11px] font-semibold uppercase tracking-wider text-neutral-500">
              {SECTION_LABELS[section]}
            </p>
            <p className="whitespace-pre-line text-neutral-800 dark:text-neutral-200">
              {script.sections[section]}
            </p>
          </div>
        ) : null,
      )}
    </section>
  );
}
