"use client";

import { useRouter } from "next/navigation";
import { History } from "../storyboard/History";
import { LocaleSwitch, useT } from "../storyboard/i18n";
import { NewVideoForm } from "../storyboard/NewVideoForm";

/** The Mini App's start screen: the "New video" form and the history; a new video opens its page. */
export function TmaHome() {
  const t = useT();
  const router = useRouter();
  return (
    <div className="space-y-5">
      <header className="flex items-center justify-between gap-3 px-1">
        <div className="min-w-0">
          <h1 className="text-lg font-semibold">Kadr</h1>
          <p className="truncate text-xs text-muted">{t.appTagline}</p>
        </div>
        <LocaleSwitch />
      </header>
      <NewVideoForm onCreated={(jobId) => router.push(`/tma/jobs/${encodeURIComponent(jobId)}`)} />
      <History />
    </div>
  );
}
