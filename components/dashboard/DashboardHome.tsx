"use client";

import { useRouter } from "next/navigation";
import { History } from "../storyboard/History";
import { NewVideoForm } from "../storyboard/NewVideoForm";

/** The dashboard's home: the form beside (below, on phones) the history; a new video opens its page. */
export function DashboardHome() {
  const router = useRouter();
  return (
    <div className="grid items-start gap-6 lg:grid-cols-[22rem_minmax(0,1fr)] lg:gap-8">
      <div className="lg:sticky lg:top-20">
        <NewVideoForm onCreated={(jobId) => router.push(`/jobs/${encodeURIComponent(jobId)}`)} />
      </div>
      <History />
    </div>
  );
}
