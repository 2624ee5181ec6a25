"use client";

import Link from "next/link";
import { useT } from "../storyboard/i18n";
import { StoryboardEditor } from "../storyboard/StoryboardEditor";

/** A job page of the dashboard: a link back to the history above the storyboard editor. */
export function DashboardJob({ jobId }: { jobId: string }) {
  const t = useT();
  return (
    <div className="space-y-4">
      <Link href="/" className="inline-flex items-center gap-1 text-sm font-medium text-link hover:underline">
        <span aria-hidden="true">←</span> {t.history}
      </Link>
      <StoryboardEditor jobId={jobId} />
    </div>
  );
}
