"use client";

/**
 * "Extend this video" under a completed job's player: a prompt (what the new segment says, 1–1000
 * characters), the price of one more segment (`estimateExtension(segmentSeconds)`) against the
 * balance, and a submit that calls `POST /api/v1/jobs/:id/extend`. On 201 it opens the new
 * extension job (it runs without gates to the longer video); refusals (402 credits, 429 limits,
 * 409 not finished) are shown inline in the UI language.
 */
import { useRouter } from "next/navigation";
import { type FormEvent, useId, useState } from "react";
import { estimateExtension } from "@/lib/credits/pricing";
import type { JobViewJson } from "@/lib/http/job-json";
import { CreditLine, describeError, isCreditError, isShort, TopUpLink, useCredits } from "./credits";
import { useT } from "./i18n";
import { useSurface } from "./surface";
import { cardClass, ErrorNote, fieldClass, primaryButton, Spinner } from "./ui";

/** Longest prompt the extend route accepts. */
const MAX_PROMPT = 1000;

/** The Extend form of a completed job (see the module comment). */
export function ExtendPanel({ view }: { view: JobViewJson }) {
  const t = useT();
  const router = useRouter();
  const { api, haptic, jobHref, setEditing } = useSurface();
  const creditsState = useCredits();
  const [prompt, setPrompt] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; credits: boolean } | null>(null);
  const headingId = useId();
  const { job } = view;
  // The server reserves the extension at its default prices (lib/studio/extend.ts).
  const price = estimateExtension(job.segmentSeconds);
  const short = isShort(creditsState, price);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const extension = await api.extend(job.id, prompt.trim());
      haptic("success");
      router.push(jobHref(extension.id));
    } catch (err) {
      haptic("error");
      setError({ message: describeError(err, t), credits: isCreditError(err) });
      void creditsState.reload();
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby={headingId} className={`${cardClass} space-y-3 p-4`}>
      <div>
        <h2 id={headingId} className="text-base font-semibold text-fg">
          {t.extendTitle}
        </h2>
        <p className="mt-0.5 text-sm text-muted">{t.extendHint(job.segmentSeconds)}</p>
      </div>
      <div className="space-y-1.5">
        <label htmlFor={`${headingId}-prompt`} className="text-sm font-medium text-fg">
          {t.extendPrompt}
        </label>
        <textarea
          id={`${headingId}-prompt`}
          rows={2}
          required
          maxLength={MAX_PROMPT}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          onFocus={() => setEditing(true)}
          onBlur={() => setEditing(false)}
          placeholder={t.extendPlaceholder}
          className={`${fieldClass} resize-y`}
        />
      </div>
      <CreditLine price={price} state={creditsState} />
      {error && !(error.credits && short) && (
        <ErrorNote>
          {error.message}{" "}
          {error.credits && creditsState.credits?.topUpUrl && (
            <TopUpLink url={creditsState.credits.topUpUrl} />
          )}
        </ErrorNote>
      )}
      <div className="flex justify-end">
        <button type="submit" disabled={busy || short || !prompt.trim()} className={primaryButton}>
          {busy && <Spinner />}
          {busy ? t.extending : t.extendFor(t.credits(price))}
        </button>
      </div>
    </form>
  );
}
