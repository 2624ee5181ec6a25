"use client";

import { backButton } from "@tma.js/sdk-react";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { LocaleSwitch } from "../storyboard/i18n";
import { StoryboardEditor } from "../storyboard/StoryboardEditor";

/** A job page of the Mini App: Telegram's BackButton leads to the history. */
export function TmaJob({ jobId }: { jobId: string }) {
  const router = useRouter();
  useEffect(() => {
    backButton.show.ifAvailable();
    const off = backButton.onClick.ifAvailable(() => router.push("/tma"));
    return () => {
      if (off.ok) off.data();
      backButton.hide.ifAvailable();
    };
  }, [router]);
  return (
    <div className="space-y-3">
      <div className="flex justify-end">
        <LocaleSwitch />
      </div>
      <StoryboardEditor jobId={jobId} />
    </div>
  );
}
