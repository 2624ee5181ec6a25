"use client";

/**
 * The browser dashboard's frame around every dashboard page: the header (logo, language switch,
 * the signed-in user, sign out), the sign-in gate, and the dashboard's Surface for the storyboard
 * components — the session cookie authenticates (or local mode on loopback), the primary action
 * is a sticky button at the bottom, haptics do nothing.
 *
 * Signing in: `GET /api/v1/auth/me` decides. On 401 the Telegram Login Widget is shown (when the
 * server names its bot); its data goes to `POST /api/v1/auth/telegram-login`, which sets the
 * session cookie. The card also points to the bot's /login, whose one-time link (app/login) sets
 * the same cookie.
 */
import Link from "next/link";
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { UserJson } from "@/lib/auth/users";
import { ApiError, type AuthConfigResponse, createApi, messageOf } from "../storyboard/api";
import { LocaleProvider, LocaleSwitch, useT } from "../storyboard/i18n";
import { type PrimaryAction, type Surface, SurfaceProvider } from "../storyboard/surface";
import { ErrorNote, ghostButton, primaryButton, Skeleton, Spinner } from "../storyboard/ui";

type AuthState =
  | { kind: "loading" }
  | { kind: "signedIn"; user: UserJson; local: boolean }
  | { kind: "signedOut"; config: AuthConfigResponse }
  | { kind: "error"; message: string };

/** The primary button of the dashboard, sticking to the bottom of the window while the page scrolls. */
function StickyPrimaryAction({ action }: { action: PrimaryAction | null }) {
  if (!action) return null;
  return (
    <div className="pointer-events-none sticky bottom-0 z-30 -mx-4 bg-gradient-to-t from-bg via-bg/90 to-transparent px-4 pb-[max(1rem,env(safe-area-inset-bottom))] pt-6 sm:-mx-6 sm:px-6">
      <div className="pointer-events-auto flex justify-end">
        <button
          type="button"
          onClick={action.onClick}
          disabled={action.disabled || action.busy}
          className={`${primaryButton} w-full px-6 py-3 text-base sm:w-auto`}
        >
          {action.busy && <Spinner />}
          {action.label}
        </button>
      </div>
    </div>
  );
}

/** The dashboard frame (see the module comment). */
export function DashboardShell({ children }: { children: ReactNode }) {
  return (
    <LocaleProvider>
      <Shell>{children}</Shell>
    </LocaleProvider>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const t = useT();
  const api = useMemo(() => createApi(), []);
  const [auth, setAuth] = useState<AuthState>({ kind: "loading" });

  const check = useCallback(async () => {
    try {
      const me = await api.me();
      setAuth({ kind: "signedIn", user: me.user, local: me.method === "local" });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        try {
          setAuth({ kind: "signedOut", config: await api.authConfig() });
        } catch (configErr) {
          setAuth({ kind: "error", message: messageOf(configErr) });
        }
      } else {
        setAuth({ kind: "error", message: messageOf(err) });
      }
    }
  }, [api]);

  useEffect(() => {
    void check();
  }, [check]);

  const surface = useMemo<Surface>(
    () => ({
      kind: "dashboard",
      api,
      homeHref: "/",
      jobHref: (jobId) => `/jobs/${encodeURIComponent(jobId)}`,
      haptic: () => undefined,
      setEditing: () => undefined,
      openTelegramLink: () => false,
      PrimaryAction: StickyPrimaryAction,
    }),
    [api],
  );

  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    await check();
  };

  return (
    <div className="min-h-dvh bg-bg text-fg">
      <header className="sticky top-0 z-20 border-b border-line bg-surface/85 backdrop-blur">
        <div className="mx-auto flex max-w-5xl items-center justify-between gap-3 px-4 py-3 sm:px-6">
          <Link href="/" className="flex min-w-0 items-center gap-2.5">
            <span
              aria-hidden="true"
              className="grid size-8 shrink-0 place-items-center rounded-xl bg-accent text-base font-bold text-accent-fg shadow-sm"
            >
              K
            </span>
            <span className="min-w-0">
              <span className="block text-base font-semibold leading-tight">Kadr</span>
              <span className="hidden truncate text-xs text-muted sm:block">{t.appTagline}</span>
            </span>
          </Link>
          <div className="flex shrink-0 items-center gap-2">
            <LocaleSwitch />
            {auth.kind === "signedIn" &&
              (auth.local ? (
                <span className="hidden rounded-full bg-surface-2 px-2.5 py-1 text-xs font-medium text-muted sm:inline">
                  {t.localMode}
                </span>
              ) : (
                <>
                  <span className="hidden max-w-40 truncate text-sm text-muted sm:inline">
                    {auth.user.displayName}
                  </span>
                  <button type="button" onClick={signOut} className={ghostButton}>
                    {t.signOut}
                  </button>
                </>
              ))}
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-5xl px-4 py-6 sm:px-6 sm:py-8">
        {auth.kind === "loading" && (
          <div role="status" aria-busy="true" aria-label={t.loading} className="space-y-4">
            <Skeleton className="h-40 w-full rounded-2xl" />
            <Skeleton className="h-20 w-full rounded-2xl" />
          </div>
        )}
        {auth.kind === "error" && (
          <ErrorNote onRetry={() => void check()}>{t.couldNotLoad(auth.message)}</ErrorNote>
        )}
        {auth.kind === "signedOut" && <SignIn config={auth.config} onSignedIn={check} api={api} />}
        {auth.kind === "signedIn" && <SurfaceProvider surface={surface}>{children}</SurfaceProvider>}
      </main>
    </div>
  );
}

type WidgetGlobal = typeof globalThis & {
  kadrTelegramAuth?: (user: Record<string, string | number>) => void;
};

/** The sign-in card with the Telegram Login Widget. */
function SignIn(props: {
  config: AuthConfigResponse;
  onSignedIn: () => Promise<void>;
  api: ReturnType<typeof createApi>;
}) {
  const { config, onSignedIn, api } = props;
  const t = useT();
  const widget = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const host = widget.current;
    if (!config.botUsername || !host) return;
    (globalThis as WidgetGlobal).kadrTelegramAuth = (user) => {
      api
        .telegramLogin(user)
        .then(onSignedIn)
        .catch((err) => setError(messageOf(err)));
    };
    const script = document.createElement("script");
    script.src = "https://telegram.org/js/telegram-widget.js?22";
    script.async = true;
    script.dataset.telegramLogin = config.botUsername;
    script.dataset.size = "large";
    script.dataset.radius = "12";
    script.dataset.onauth = "kadrTelegramAuth(user)";
    script.dataset.requestAccess = "write";
    host.replaceChildren(script);
    return () => {
      host.replaceChildren();
      delete (globalThis as WidgetGlobal).kadrTelegramAuth;
    };
  }, [api, config.botUsername, onSignedIn]);

  return (
    <section
      aria-labelledby="sign-in-heading"
      className="mx-auto max-w-md space-y-4 rounded-2xl border border-line bg-surface p-6 text-center shadow-sm"
    >
      <h1 id="sign-in-heading" className="text-lg font-semibold">
        {t.signInTitle}
      </h1>
      <p className="text-sm text-muted">{config.botUsername ? t.signInHint : t.signInUnavailable}</p>
      <div ref={widget} className="flex min-h-12 justify-center" />
      {config.botUsername && (
        <p className="text-xs text-muted">
          <a
            href={`https://t.me/${config.botUsername}`}
            className="text-link underline-offset-2 hover:underline"
          >
            {t.signInLinkHint}
          </a>
        </p>
      )}
      {error && <ErrorNote>{error}</ErrorNote>}
    </section>
  );
}
