"use client";

import { type FormEvent, useId, useState } from "react";
import { jobsApi, messageOf, type NewJobRequest } from "./api";

const SEGMENT_CHOICES = Array.from({ length: 58 }, (_, i) => i + 3);
const SECONDS_CHOICES = [2, 3, 4, 5, 6, 7, 8, 9, 10];
const ASPECTS: { value: NewJobRequest["aspect"]; hint: string }[] = [
  { value: "16:9", hint: "Landscape" },
  { value: "9:16", hint: "Vertical" },
  { value: "1:1", hint: "Square" },
];
const LANGUAGES = [
  { value: "auto", label: "Detect from topic" },
  { value: "en", label: "English" },
  { value: "ru", label: "Русский" },
] as const;

/** `95` → "1 min 35 s", `50` → "50 s". */
function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (!minutes) return `${rest} s`;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

const fieldClass =
  "w-full rounded-lg border border-neutral-300 bg-white px-3 py-2 text-sm shadow-xs outline-none transition focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 dark:border-neutral-700 dark:bg-neutral-900";

/**
 * The "New video" form: topic, segment count (3–60, default 10), seconds per segment (default 5),
 * aspect and narration language. Submits to `POST /api/v1/jobs`, shows the server's error message
 * inline, and calls `onCreated` after a job was stored.
 */
export function NewJobForm({ onCreated }: { onCreated: () => void }) {
  const [topic, setTopic] = useState("");
  const [segmentCount, setSegmentCount] = useState(10);
  const [segmentSeconds, setSegmentSeconds] = useState(5);
  const [aspect, setAspect] = useState<NewJobRequest["aspect"]>("16:9");
  const [language, setLanguage] = useState<(typeof LANGUAGES)[number]["value"]>("auto");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      await jobsApi.create({
        topic,
        segmentCount,
        segmentSeconds,
        aspect,
        ...(language === "auto" ? {} : { language }),
      });
      setTopic("");
      onCreated();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <form
      onSubmit={submit}
      aria-labelledby={headingId}
      className="space-y-5 rounded-2xl border border-neutral-200 bg-white p-5 shadow-sm dark:border-neutral-800 dark:bg-neutral-900/60"
    >
      <div>
        <h2 id={headingId} className="text-base font-semibold">
          New video
        </h2>
        <p className="mt-1 text-sm text-neutral-500 dark:text-neutral-400">
          Describe it in a sentence. You approve the script, the images and the clips before narration.
        </p>
      </div>

      <div className="space-y-1.5">
        <label htmlFor="topic" className="text-sm font-medium">
          Topic
        </label>
        <textarea
          id="topic"
          name="topic"
          required
          rows={3}
          maxLength={2000}
          value={topic}
          onChange={(e) => setTopic(e.target.value)}
          placeholder="How a lighthouse keeper starts the day"
          className={`${fieldClass} resize-y`}
        />
      </div>

      <div className="grid grid-cols-2 gap-3">
        <div className="space-y-1.5">
          <label htmlFor="segments" className="text-sm font-medium">
            Segments
          </label>
          <select
            id="segments"
            value={segmentCount}
            onChange={(e) => setSegmentCount(Number(e.target.value))}
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
          <label htmlFor="seconds" className="text-sm font-medium">
            Seconds each
          </label>
          <select
            id="seconds"
            value={segmentSeconds}
            onChange={(e) => setSegmentSeconds(Number(e.target.value))}
            className={fieldClass}
          >
            {SECONDS_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n} s
              </option>
            ))}
          </select>
        </div>
      </div>

      <fieldset className="space-y-1.5">
        <legend className="text-sm font-medium">Aspect</legend>
        <div className="grid grid-cols-3 gap-2">
          {ASPECTS.map(({ value, hint }) => (
            <label
              key={value}
              className="flex cursor-pointer flex-col items-center rounded-lg border border-neutral-300 px-2 py-2 text-sm transition has-checked:border-indigo-500 has-checked:bg-indigo-50 has-checked:text-indigo-900 has-focus-visible:ring-2 has-focus-visible:ring-indigo-500/40 dark:border-neutral-700 dark:has-checked:bg-indigo-500/15 dark:has-checked:text-indigo-200"
            >
              <input
                type="radio"
                name="aspect"
                value={value}
                checked={aspect === value}
                onChange={() => setAspect(value)}
                className="sr-only"
              />
              <span className="font-medium">{value}</span>
              <span className="text-xs text-neutral-500 dark:text-neutral-400">{hint}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <div className="space-y-1.5">
        <label htmlFor="language" className="text-sm font-medium">
          Language
        </label>
        <select
          id="language"
          value={language}
          onChange={(e) => setLanguage(e.target.value as typeof language)}
          className={fieldClass}
        >
          {LANGUAGES.map(({ value, label }) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>

      {error && (
        <p
          role="alert"
          className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:bg-rose-500/10 dark:text-rose-300"
        >
          {error}
        </p>
      )}

      <div className="flex items-center justify-between gap-3">
        <p className="text-xs text-neutral-500 dark:text-neutral-400">
          ≈ {formatDuration(segmentCount * segmentSeconds)} of video
        </p>
        <button
          type="submit"
          disabled={submitting}
          className="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm transition hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-wait disabled:opacity-60"
        >
          {submitting ? "Creating…" : "Create video"}
        </button>
      </div>
    </form>
  );
}
