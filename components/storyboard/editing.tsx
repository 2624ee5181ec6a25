"use client";

/**
 * Text fields that save themselves: an auto-growing text area (or input) that keeps a local
 * draft, saves it on blur when it changed, shows "Saving… / Saved / error" next to its label, and
 * tells the surface while it is being edited (the Mini App disables vertical swipes then).
 */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { messageOf } from "./api";
import { useT } from "./i18n";
import { useSurface } from "./surface";
import { fieldClass } from "./ui";

/** Saves in flight, so an approval can wait for the last edit to land first. */
interface SaveTracker {
  track: (save: Promise<unknown>) => void;
  /** Blurs the focused field (which starts its save) and waits for every save in flight. */
  flush: () => Promise<void>;
}

const SaveTrackerContext = createContext<SaveTracker>({
  track: () => undefined,
  flush: async () => undefined,
});

/** Tracks the saves of the EditableText fields below it (see `useFlushSaves`). */
export function SaveTrackerProvider({ children }: { children: ReactNode }) {
  const pending = useRef(new Set<Promise<unknown>>());
  const [tracker] = useState<SaveTracker>(() => ({
    track: (save) => {
      pending.current.add(save);
      void save.finally(() => pending.current.delete(save));
    },
    flush: async () => {
      const focused = document.activeElement;
      if (focused instanceof HTMLElement) focused.blur();
      await Promise.allSettled([...pending.current]);
    },
  }));
  return <SaveTrackerContext.Provider value={tracker}>{children}</SaveTrackerContext.Provider>;
}

/** Returns `flush`: commits the field being edited and waits until every save has finished. */
export function useFlushSaves(): () => Promise<void> {
  return useContext(SaveTrackerContext).flush;
}

/** Progress of one save. */
export type SaveState =
  | { kind: "idle" }
  | { kind: "saving" }
  | { kind: "saved" }
  | { kind: "error"; message: string };

/** Runs saves one at a time and reports their state; errors are caught into the state. */
export function useSaver() {
  const [state, setState] = useState<SaveState>({ kind: "idle" });
  const save = useCallback(async (action: () => Promise<unknown>): Promise<boolean> => {
    setState({ kind: "saving" });
    try {
      await action();
      setState({ kind: "saved" });
      return true;
    } catch (err) {
      setState({ kind: "error", message: messageOf(err) });
      return false;
    }
  }, []);
  return { state, save };
}

/** "Saving…", "Saved" or the error, for a field's label row. */
export function SaveIndicator({ state }: { state: SaveState }) {
  const t = useT();
  if (state.kind === "idle") return null;
  if (state.kind === "error") {
    return (
      <span role="alert" className="text-xs font-medium text-danger">
        {state.message}
      </span>
    );
  }
  return (
    <span aria-live="polite" className="text-xs text-muted">
      {state.kind === "saving" ? t.saving : t.saved}
    </span>
  );
}

/** Props of EditableText. */
export interface EditableTextProps {
  label: string;
  /** The stored value; the draft follows it while the field is not focused. */
  value: string;
  /** Persists a changed draft; a rejection shows its message and keeps the draft. */
  onSave: (value: string) => Promise<unknown>;
  disabled?: boolean;
  /** One-line input instead of a text area. */
  singleLine?: boolean;
  maxLength?: number;
  /** Extra text after the label, e.g. the estimated duration of the current draft. */
  hint?: ReactNode | ((draft: string) => ReactNode);
  /** Hides the label visually (still read by screen readers). */
  hideLabel?: boolean;
  className?: string;
}

/** A self-saving text field (see the module comment). */
export function EditableText(props: EditableTextProps) {
  const { label, value, onSave, disabled, singleLine, maxLength, hint, hideLabel, className = "" } = props;
  const id = useId();
  const { setEditing } = useSurface();
  const [draft, setDraft] = useState(value);
  const focused = useRef(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const { state, save } = useSaver();
  const { track } = useContext(SaveTrackerContext);

  useEffect(() => {
    if (!focused.current) setDraft(value);
  }, [value]);

  // Grows the text area with its content (no inner scrollbar), also when its width changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure whenever the draft changes
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    const fitHeight = () => {
      el.style.height = "auto";
      el.style.height = `${el.scrollHeight + 2}px`;
    };
    fitHeight();
    const observer = new ResizeObserver(fitHeight);
    observer.observe(el.parentElement ?? el);
    return () => observer.disconnect();
  }, [draft]);

  const onFocus = () => {
    focused.current = true;
    setEditing(true);
  };
  const onBlur = async () => {
    focused.current = false;
    setEditing(false);
    if (draft.trim() === value.trim()) return;
    const saving = save(() => onSave(draft));
    track(saving);
    await saving;
  };

  const common = {
    id,
    value: draft,
    disabled,
    maxLength,
    onFocus,
    onBlur,
    className: `${fieldClass} ${singleLine ? "" : "resize-none leading-relaxed"} disabled:opacity-70`,
  };
  return (
    <div className={`space-y-1 ${className}`}>
      <div className="flex min-h-5 flex-wrap items-baseline justify-between gap-x-3 gap-y-0.5">
        <label htmlFor={id} className={hideLabel ? "sr-only" : "text-xs font-semibold text-muted"}>
          {label}
        </label>
        <span className="flex items-baseline gap-2">
          {typeof hint === "function" ? hint(draft) : hint}
          <SaveIndicator state={state} />
        </span>
      </div>
      {singleLine ? (
        <input {...common} onChange={(e) => setDraft(e.target.value)} />
      ) : (
        <textarea {...common} ref={area} rows={1} onChange={(e) => setDraft(e.target.value)} />
      )}
    </div>
  );
}
