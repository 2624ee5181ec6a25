/**
 * One stage's progress as a labelled bar, e.g. "images 7/10". Exposed as an ARIA progressbar
 * named after the stage.
 */
export function StageBar({ label, done, total }: { label: string; done: number; total: number }) {
  const percent = total > 0 ? Math.round((Math.min(done, total) / total) * 100) : 0;
  const complete = total > 0 && done >= total;
  return (
    <div className="min-w-0 flex-1">
      <div className="mb-1 flex items-baseline justify-between gap-2 text-xs">
        <span className="text-neutral-600 dark:text-neutral-400">{label}</span>
        <span className="tabular-nums text-neutral-500 dark:text-neutral-400">
          {done}/{total}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={`${label} ${done}/${total}`}
        className="h-1.5 overflow-hidden rounded-full bg-neutral-200 dark:bg-neutral-800"
      >
        <div
          className={`h-full rounded-full transition-[width] duration-500 ${complete ? "bg-emerald-500" : "bg-indigo-500"}`}
          style={{ width: `${percent}%` }}
        />
      </div>
    </div>
  );
}
