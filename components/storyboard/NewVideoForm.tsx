"use client";

/**
 * The "New video" form: a topic or a pasted script ("Paste a script": the text is the narration,
 * sent as `scriptText`, with a character count against MAX_SCRIPT_CHARS), a length preset (50 s = 10 × 5 s, 4 min = 48 × 5 s) or a custom
 * segment count and length, the aspect and the narration language. Below it the cost in credits
 * (`estimateJob` with the server's prices, updated as the format changes) and the balance; the
 * submit is disabled with the shortfall and a top-up link while the balance cannot cover it.
 * Submits to `POST /api/v1/jobs`, shows the server's refusal inline (402 with the amounts, 429 with
 * when to retry, in the UI language) and hands the new job's id to `onCreated`.
 */
import { type FormEvent, useId, useState } from "react";
import { DEFAULT_PRICES, estimateJob } from "@/lib/credits/pricing";
import { MAX_SCRIPT_CHARS } from "@/lib/studio/schemas";
import type { NewJobRequest } from "./api";
import { CreditLine, describeError, isCreditError, isShort, TopUpLink, useCredits } from "./credits";
import { useT } from "./i18n";
import { useSurface } from "./surface";
import { cardClass, ErrorNote, fieldClass, primaryButton, Spinner } from "./ui";

const PRESETS = {
  short: { segmentCount: 10, segmentSeconds: 5 },
  long: { segmentCount: 48, segmentSeconds: 5 },
} as const;
type Preset = keyof typeof PRESETS | "custom";

const SEGMENT_CHOICES = Array.from({ length: 60 }, (_, i) => i + 1);
const SECONDS_CHOICES = [2, 3, 4, 5, 6, 7, 8, 9, 10];
const ASPECTS: NewJobRequest["aspect"][] = ["16:9", "9:16", "1:1"];

/** `95` → "1:35", `50` → "50 s" (with the unit given). */
function formatDuration(seconds: number, secondsUnit: string): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return minutes ? `${minutes}:${String(rest).padStart(2, "0")}` : `${rest} ${secondsUnit}`;
}

const choiceClass =
  "flex cursor-pointer flex-col items-center rounded-xl border border-line px-2 py-2 text-sm text-fg transition has-checked:border-accent has-checked:bg-accent/10 has-focus-visible:ring-2 has-focus-visible:ring-accent/40";

/**
 * A row of radio choices drawn as tiles (label in bold, an optional hint under it), one per
 * `options` entry `[value, label, hint?]`; the legend names the group (visually hidden with
 * `hideLegend`).
 */
function Choices<T extends string>({
  name,
  legend,
  hideLegend = false,
  value,
  onChange,
  options,
}: {
  name: string;
  legend: string;
  hideLegend?: boolean;
  value: T;
  onChange: (value: T) => void;
  options: readonly (readonly [T, string, string?])[];
}) {
  return (
    <fieldset className="space-y-1.5">
      <legend className={hideLegend ? "sr-only" : "text-sm font-medium text-fg"}>{legend}</legend>
      <div className={`grid gap-2 ${options.length === 2 ? "grid-cols-2" : "grid-cols-3"}`}>
        {options.map(([option, label, hint]) => (
          <label key={option} className={choiceClass}>
            <input
              type="radio"
              name={name}
              value={option}
              checked={value === option}
              onChange={() => onChange(option)}
              className="sr-only"
            />
            <span className="font-semibold">{label}</span>
            {hint !== undefined && <span className="max-w-full truncate text-xs text-muted">{hint}</span>}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** The form (see the module comment). */
export function NewVideoForm({ onCreated }: { onCreated: (jobId: string) => void }) {
  const t = useT();
  const { api, haptic, setEditing } = useSurface();
  const [source, setSource] = useState<"topic" | "script">("topic");
  const [topic, setTopic] = useState("");
  const [scriptText, setScriptText] = useState("");
  const [preset, setPreset] = useState<Preset>("short");
  const [custom, setCustom] = useState({ segmentCount: 10, segmentSeconds: 5 });
  const [aspect, setAspect] = useState<NewJobRequest["aspect"]>("16:9");
  const [language, setLanguage] = useState<"auto" | "ru" | "en">("auto");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<{ message: string; credits: boolean } | null>(null);
  const headingId = useId();
  const format = preset === "custom" ? custom : PRESETS[preset];
  const creditsState = useCredits();
  const price = estimateJob(format, creditsState.credits?.prices ?? DEFAULT_PRICES).total;
  const short = isShort(creditsState, price);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const job = await api.create({
        ...(source === "topic" ? { topic } : { scriptText }),
        ...format,
        aspect,
        ...(language === "auto" ? {} : { language }),
      });
      haptic("success");
      if (source === "topic") setTopic("");
      else setScriptText("");
      void creditsState.reload();
      onCreated(job.id);
    } catch (err) {
      haptic("error");
      setError({ message: describeError(err, t), credits: isCreditError(err) });
      void creditsState.reload();
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby={headingId} className={`${cardClass} space-y-5 p-4 sm:p-5`}>
      <div>
        <h2 id={headingId} className="text-base font-semibold text-fg">
          {t.newVideo}
        </h2>
        <p className="mt-1 text-sm text-muted">{t.newVideoHint}</p>
      </div>

      <Choices
        name="source"
        legend={t.sourceMode}
        hideLegend
        value={source}
        onChange={setSource}
        options={[
          ["topic", t.fromTopic],
          ["script", t.fromScript],
        ]}
      />

      {source === "topic" ? (
        <div className="space-y-1.5">
          <label htmlFor="topic" className="text-sm font-medium text-fg">
            {t.topic}
          </label>
          <textarea
            id="topic"
            name="topic"
            required
            rows={3}
            maxLength={2000}
            value={topic}
            onChange={(e) => setTopic(e.target.value)}
            onFocus={() => setEditing(true)}
            onBlur={() => setEditing(false)}
            placeholder={t.topicPlaceholder}
            className={`${fieldClass} resize-y`}
          />
        </div>
      ) : (
        <div className="space-y-1.5">
          <label htmlFor="script" className="text-sm font-medium text-fg">
            {t.script}
          </label>
          <textarea
            id="script"
            name="scriptText"
            required
            rows={8}
            maxLength={MAX_SCRIPT_CHARS}
            value={scriptText}
            onChange={(e) => setScriptText(e.target.value)}
            onFocus={() => setEditing(true)}
            onBlur={() => setEditing(false)}
            placeholder={t.scriptPlaceholder}
            aria-describedby="script-count"
            className={`${fieldClass} resize-y leading-relaxed`}
          />
          <p id="script-count" aria-live="polite" className="text-right text-xs tabular-nums text-muted">
            {t.scriptCount(scriptText.length, MAX_SCRIPT_CHARS)}
          </p>
        </div>
      )}

      <Choices
        name="preset"
        legend={t.length}
        value={preset}
        onChange={setPreset}
        options={[
          ["short", t.presetShort, t.presetShortHint],
          ["long", t.presetLong, t.presetLongHint],
          ["custom", t.presetCustom, t.format(format.segmentCount, format.segmentSeconds)],
        ]}
      />

      {preset === "custom" && (
        <div className="grid grid-cols-2 gap-3">
          <div className="space-y-1.5">
            <label htmlFor="segments" className="text-sm font-medium text-fg">
              {t.segments}
            </label>
            <select
              id="segments"
              value={custom.segmentCount}
              onChange={(e) => setCustom({ ...custom, segmentCount: Number(e.target.value) })}
              className={fieldClass}
            >
              {SEGMENT_CHOICES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1.5">
            <label htmlFor="seconds" className="text-sm font-medium text-fg">
              {t.secondsEach}
            </label>
            <select
              id="seconds"
              value={custom.segmentSeconds}
              onChange={(e) => setCustom({ ...custom, segmentSeconds: Number(e.target.value) })}
              className={fieldClass}
            >
              {SECONDS_CHOICES.map((n) => (
                <option key={n} value={n}>
                  {n} {t.sec}
                </option>
              ))}
            </select>
          </div>
        </div>
      )}

      <Choices
        name="aspect"
        legend={t.aspect}
        value={aspect}
        onChange={setAspect}
        options={ASPECTS.map((value) => [value, value, t.aspectHints[value]] as const)}
      />

      <div className="space-y-1.5">
        <label htmlFor="language" className="text-sm font-medium text-fg">
          {t.narrationLanguage}
        </label>
        <select
          id="language"
          value={language}
          onChange={(e) => setLanguage(e.target.value as typeof language)}
          className={fieldClass}
        >
          <option value="auto">{t.detectLanguage}</option>
          <option value="en">English</option>
          <option value="ru">Русский</option>
        </select>
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

      <div className="flex items-center justify-between gap-3">
        <p className="text-xs text-muted">
          {t.ofVideo(formatDuration(format.segmentCount * format.segmentSeconds, t.sec))}
        </p>
        <button type="submit" disabled={submitting || short} className={primaryButton}>
          {submitting && <Spinner />}
          {submitting ? t.creating : t.createVideo}
        </button>
      </div>
    </form>
  );
}
