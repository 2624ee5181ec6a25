"use client";

/**
 * What differs between the two surfaces the storyboard components run on — the browser dashboard
 * and the Telegram Mini App — behind one context: the API client (cookie vs bearer session), links,
 * the primary action (a button vs Telegram's MainButton), haptic feedback and the "editing" state
 * (the Mini App disables vertical swipes meanwhile so a drag in a text field never closes it).
 */
import { type ComponentType, createContext, type ReactNode, useContext } from "react";
import type { KadrApi } from "./api";

/** The main action of a screen, e.g. "Approve 10 images". */
export interface PrimaryAction {
  label: string;
  onClick: () => void;
  /** Shows progress (spinner / loader) and ignores clicks. */
  busy?: boolean;
  disabled?: boolean;
}

/** Kinds of haptic feedback: a tap, a selection change, a finished action, a failure. */
export type HapticKind = "impact" | "selection" | "success" | "error";

/** One surface's implementation of the storyboard's environment. */
export interface Surface {
  kind: "dashboard" | "tma";
  api: KadrApi;
  /** Link to the job list. */
  homeHref: string;
  /** Link to one job. */
  jobHref: (jobId: string) => string;
  haptic: (kind: HapticKind) => void;
  /** Called with true while the user edits text or a sheet is open, false afterwards. */
  setEditing: (editing: boolean) => void;
  /**
   * Opens a t.me link inside Telegram (Mini App) and returns true; returns false where the browser
   * should follow the link itself (dashboard).
   */
  openTelegramLink: (url: string) => boolean;
  /** Renders (dashboard: a sticky button) or drives (Mini App: MainButton) the primary action. */
  PrimaryAction: ComponentType<{ action: PrimaryAction | null }>;
}

const SurfaceContext = createContext<Surface | null>(null);

/** Provides a surface to the storyboard components below it. */
export function SurfaceProvider({ surface, children }: { surface: Surface; children: ReactNode }) {
  return <SurfaceContext.Provider value={surface}>{children}</SurfaceContext.Provider>;
}

/** The current surface. @throws when rendered outside a SurfaceProvider (a programming error). */
export function useSurface(): Surface {
  const surface = useContext(SurfaceContext);
  if (!surface) throw new Error("Storyboard components need a SurfaceProvider");
  return surface;
}
