"use client";

/**
 * The Mini App's bootstrap, client-only (loaded with `ssr: false`; the SDK touches window and
 * sessionStorage). Once mounted it:
 *
 * 1. checks it runs inside Telegram (`isTMA`), else shows "open from the bot";
 * 2. initializes `@tma.js/sdk-react`: theme params and mini app bound to CSS variables (the
 *    `tma` class on `<html>` maps them to Kadr's tokens; `data-theme` follows `isDark`), viewport
 *    expanded with its CSS variables, back button, main button and swipe behaviour mounted;
 * 3. signs in: in Telegram mode it exchanges the raw initData (`Authorization: tma …`) for a
 *    Kadr session and then sends `Authorization: Bearer …` (renewed tokens are picked up; a 401 is
 *    answered by one new exchange); in local mode it needs nothing;
 * 4. follows a deep link once per launch to that job's page: `t.me/<bot>?startapp=<job id>`
 *    (signed `start_param`, also `tgWebAppStartParam`) or a web_app button's `/tma?startapp=<job id>`
 *    (lib/telegram/links.ts); the job's owner is checked by the API either way.
 *
 * It then provides the Mini App's Surface: MainButton as the primary action, haptic feedback, and
 * vertical swipes disabled while something is being edited.
 */
import {
  backButton,
  hapticFeedback,
  init,
  isTMA,
  mainButton,
  miniApp,
  openTelegramLink,
  retrieveLaunchParams,
  retrieveRawInitData,
  swipeBehavior,
  themeParams,
  viewport,
} from "@tma.js/sdk-react";
import { useRouter } from "next/navigation";
import { type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, createApi, type KadrApi, messageOf } from "../storyboard/api";
import { LocaleProvider, useT } from "../storyboard/i18n";
import { type HapticKind, type PrimaryAction, type Surface, SurfaceProvider } from "../storyboard/surface";
import { ErrorNote, Skeleton } from "../storyboard/ui";

/** Job ids as Kadr makes them (`startapp` payloads): 1–64 chars of [A-Za-z0-9_-]. */
const JOB_ID = /^[\w-]{1,64}$/;
const START_HANDLED_KEY = "kadr.startParamHandled";

type Boot =
  | { kind: "starting" }
  | { kind: "outside" }
  | { kind: "failed"; message: string }
  | { kind: "ready"; api: KadrApi; languageCode: string | undefined; startParam: string | undefined };

/** Mounts the SDK components and binds the theme; returns the cleanup. */
function startSdk(): () => void {
  init();
  themeParams.mount.ifAvailable();
  const unbindTheme = themeParams.bindCssVars.ifAvailable();
  miniApp.mount.ifAvailable();
  const unbindMiniApp = miniApp.bindCssVars.ifAvailable();
  backButton.mount.ifAvailable();
  mainButton.mount.ifAvailable();
  swipeBehavior.mount.ifAvailable();
  const root = document.documentElement;
  root.classList.add("tma");
  const applyTheme = () => root.setAttribute("data-theme", miniApp.isDark() ? "dark" : "light");
  applyTheme();
  const offDark = miniApp.isDark.sub(applyTheme);
  // Some clients never answer the viewport request (macOS): do not block on it.
  const mounting = viewport.mount.ifAvailable();
  if (mounting.ok) {
    void Promise.resolve(mounting.data)
      .then(() => {
        viewport.bindCssVars.ifAvailable();
        viewport.expand.ifAvailable();
      })
      .catch(() => undefined);
  }
  miniApp.ready.ifAvailable();
  return () => {
    offDark();
    if (unbindTheme.ok) unbindTheme.data();
    if (unbindMiniApp.ok) unbindMiniApp.data();
    root.classList.remove("tma");
  };
}

/** An API client authenticated with a Kadr session obtained from the launch's initData. */
async function signIn(rawInitData: string | undefined): Promise<KadrApi> {
  const anonymous = createApi();
  const { mode } = await anonymous.authConfig();
  if (mode === "local") return anonymous;
  if (!rawInitData) throw new ApiError("unauthorized", "Telegram passed no init data to this launch", 401);
  let token = (await anonymous.exchange(`tma ${rawInitData}`)).token;
  const api = createApi({
    authorize: () => `Bearer ${token}`,
    onSession: (renewed) => {
      token = renewed;
    },
  });
  // A session that expired mid-work is replaced once from the (still valid) initData.
  const retrying =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 401)) throw err;
        token = (await anonymous.exchange(`tma ${rawInitData}`)).token;
        return call(...args);
      }
    };
  return Object.fromEntries(
    Object.entries(api).map(([name, fn]) => [name, name === "eventsUrl" ? fn : retrying(fn as never)]),
  ) as KadrApi;
}

/** Telegram's MainButton showing the screen's primary action. */
function TmaMainButton({ action }: { action: PrimaryAction | null }) {
  const onClick = useRef<() => void>(() => undefined);
  onClick.current = action && !action.disabled && !action.busy ? action.onClick : () => undefined;

  useEffect(() => {
    const off = mainButton.onClick.ifAvailable(() => onClick.current());
    return () => {
      if (off.ok) off.data();
      mainButton.setParams.ifAvailable({ isVisible: false, isLoaderVisible: false });
    };
  }, []);

  const text = action?.label;
  const enabled = Boolean(action && !action.disabled && !action.busy);
  const busy = Boolean(action?.busy);
  useEffect(() => {
    mainButton.setParams.ifAvailable(
      text
        ? { text, isVisible: true, isEnabled: enabled, isLoaderVisible: busy, hasShineEffect: enabled }
        : { isVisible: false, isLoaderVisible: false },
    );
  }, [text, enabled, busy]);
  return null;
}

function haptic(kind: HapticKind): void {
  if (kind === "impact") hapticFeedback.impactOccurred.ifAvailable("medium");
  else if (kind === "selection") hapticFeedback.selectionChanged.ifAvailable();
  else hapticFeedback.notificationOccurred.ifAvailable(kind);
}

/** The Mini App root (see the module comment). */
export function TmaRoot({ children }: { children: ReactNode }) {
  const [boot, setBoot] = useState<Boot>({ kind: "starting" });

  useEffect(() => {
    if (!isTMA()) {
      setBoot({ kind: "outside" });
      return;
    }
    let stopSdk: (() => void) | undefined;
    let current = true;
    try {
      stopSdk = startSdk();
      const launch = retrieveLaunchParams();
      const raw = retrieveRawInitData();
      signIn(raw)
        .then((api) => {
          if (!current) return;
          setBoot({
            kind: "ready",
            api,
            languageCode: launch.tgWebAppData?.user?.language_code,
            startParam:
              launch.tgWebAppStartParam ??
              launch.tgWebAppData?.start_param ??
              new URLSearchParams(window.location.search).get("startapp") ??
              undefined,
          });
        })
        .catch((err) => current && setBoot({ kind: "failed", message: messageOf(err) }));
    } catch (err) {
      setBoot({ kind: "failed", message: messageOf(err) });
    }
    return () => {
      current = false;
      stopSdk?.();
    };
  }, []);

  return (
    <LocaleProvider detected={boot.kind === "ready" ? boot.languageCode : undefined}>
      <div className="mx-auto min-h-dvh max-w-3xl bg-bg px-3 pb-8 pt-3 text-fg">
        {boot.kind === "starting" && (
          <div aria-busy="true" className="space-y-3">
            <Skeleton className="h-8 w-40" />
            <Skeleton className="h-32 w-full rounded-2xl" />
            <Skeleton className="h-20 w-full rounded-2xl" />
          </div>
        )}
        {boot.kind === "outside" && <Outside />}
        {boot.kind === "failed" && <Failed message={boot.message} />}
        {boot.kind === "ready" && (
          <Ready api={boot.api} startParam={boot.startParam}>
            {children}
          </Ready>
        )}
      </div>
    </LocaleProvider>
  );
}

function Ready({ api, startParam, children }: { api: KadrApi; startParam?: string; children: ReactNode }) {
  const router = useRouter();
  const editing = useRef(0);
  const surface = useMemo<Surface>(
    () => ({
      kind: "tma",
      api,
      homeHref: "/tma",
      jobHref: (jobId) => `/tma/jobs/${encodeURIComponent(jobId)}`,
      haptic,
      setEditing: (on) => {
        editing.current = Math.max(0, editing.current + (on ? 1 : -1));
        if (editing.current > 0) swipeBehavior.disableVertical.ifAvailable();
        else swipeBehavior.enableVertical.ifAvailable();
      },
      openTelegramLink: (url) => openTelegramLink.ifAvailable(url).ok,
      PrimaryAction: TmaMainButton,
    }),
    [api],
  );

  useEffect(() => {
    if (!startParam || !JOB_ID.test(startParam) || sessionStorage.getItem(START_HANDLED_KEY) === startParam)
      return;
    sessionStorage.setItem(START_HANDLED_KEY, startParam);
    router.replace(surface.jobHref(startParam));
  }, [router, startParam, surface]);

  return <SurfaceProvider surface={surface}>{children}</SurfaceProvider>;
}

function Outside() {
  const t = useT();
  return (
    <div className="mt-16 rounded-2xl border border-dashed border-line px-6 py-12 text-center">
      <p className="font-semibold">Kadr</p>
      <p className="mt-1 text-sm text-muted">{t.openInTelegram}</p>
    </div>
  );
}

function Failed({ message }: { message: string }) {
  const t = useT();
  return (
    <div className="mt-6 space-y-3">
      <ErrorNote>{message}</ErrorNote>
      <p className="text-sm text-muted">{t.reopenMiniApp}</p>
    </div>
  );
}
