"use client";

/**
 * The sign-in link page's card (`/login?token=…`, app/login/page.tsx), rendered on the server in
 * the language the server chose (the link's user's, else the browser's Accept-Language):
 *
 * - a valid link: who signs in and a [Continue] button — a plain HTML form posting the token to
 *   `POST /api/v1/auth/login-link`, which sets the session cookie and redirects to the dashboard.
 *   The button disables itself on submit, so a double click never spends the link on a request
 *   whose answer the browser then drops;
 * - a link that is unknown, used or expired: why, and how to get a new one (/login in the bot).
 */
import { useState } from "react";
import type { LoginLinkFailure } from "@/lib/auth/login-links";
import { dictionaryOf, type Locale } from "../storyboard/i18n";
import { cardClass, ghostButton, primaryButton, Spinner, secondaryButton } from "../storyboard/ui";

/** What the page shows. */
export type LoginLinkView =
  | { kind: "valid"; token: string; displayName: string; minutesLeft: number }
  | { kind: "failed"; failure: LoginLinkFailure };

/** Stroke paths (24 × 24) of each failure's icon: an exclamation mark, a lock, a clock. */
const FAILURE_ICONS: Record<LoginLinkFailure, string[]> = {
  login_link_unknown: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18", "M12 7.5v5.5", "M12 16.5v.01"],
  login_link_used: [
    "M6 11h12a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-8a1 1 0 0 1 1-1",
    "M8 11V7a4 4 0 0 1 8 0v4",
  ],
  login_link_expired: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18", "M12 7v5l3.5 2"],
};

/** A failure's icon, in the warning colour. */
function FailureIcon({ failure }: { failure: LoginLinkFailure }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      className="size-6"
    >
      {FAILURE_ICONS[failure].map((d) => (
        <path key={d} d={d} />
      ))}
    </svg>
  );
}

/** Where the [Continue] form posts. */
export const LOGIN_LINK_ACTION = "/api/v1/auth/login-link";

/** The card (see the module comment). `botUsername` adds an [Open @bot] button to a failed link. */
export function LoginLinkCard(props: { view: LoginLinkView; locale: Locale; botUsername?: string }) {
  const { view, locale, botUsername } = props;
  const t = dictionaryOf(locale);
  const [busy, setBusy] = useState(false);
  return (
    <main lang={locale} className="grid min-h-dvh place-items-center px-4 py-10">
      <div className="w-full max-w-md space-y-6">
        <div className="flex items-center justify-center gap-2.5">
          <span
            aria-hidden="true"
            className="grid size-9 place-items-center rounded-xl bg-accent text-lg font-bold text-accent-fg shadow-sm"
          >
            K
          </span>
          <span className="text-lg font-semibold">Kadr</span>
        </div>
        {view.kind === "valid" ? (
          <section aria-labelledby="login-link-heading" className={`${cardClass} space-y-5 p-6 text-center`}>
            <h1 id="login-link-heading" className="text-xl font-semibold">
              {t.signInTitle}
            </h1>
            <p className="text-sm text-muted">{t.loginLinkHint}</p>
            <div className="flex items-center justify-center gap-3 rounded-xl bg-surface-2 px-4 py-3">
              <span
                aria-hidden="true"
                className="grid size-9 shrink-0 place-items-center rounded-full bg-accent/15 font-semibold text-link"
              >
                {view.displayName.slice(0, 1).toUpperCase()}
              </span>
              <span className="min-w-0 text-left">
                <span className="block text-xs text-muted">{t.loginLinkAs}</span>
                <span className="block truncate font-semibold">{view.displayName}</span>
              </span>
            </div>
            <form method="post" action={LOGIN_LINK_ACTION} onSubmit={() => setBusy(true)}>
              <input type="hidden" name="token" value={view.token} />
              <button type="submit" disabled={busy} className={`${primaryButton} w-full py-3 text-base`}>
                {busy && <Spinner />}
                {busy ? t.loginLinkContinuing : t.loginLinkContinue}
              </button>
            </form>
            <p className="text-xs text-muted">{t.loginLinkExpiresIn(view.minutesLeft)}</p>
          </section>
        ) : (
          <section
            role="alert"
            aria-labelledby="login-link-heading"
            className={`${cardClass} space-y-4 p-6 text-center`}
          >
            <div
              aria-hidden="true"
              className="mx-auto grid size-12 place-items-center rounded-full bg-warn/15 text-warn"
            >
              <FailureIcon failure={view.failure} />
            </div>
            <h1 id="login-link-heading" className="text-xl font-semibold">
              {t.loginLinkFailed[view.failure]}
            </h1>
            <p className="text-sm text-muted">{t.loginLinkNewHint}</p>
            <div className="flex flex-col items-center gap-2 pt-1">
              {botUsername && (
                <a href={`https://t.me/${botUsername}`} className={`${secondaryButton} w-full`}>
                  {t.openBot(botUsername)}
                </a>
              )}
              <a href="/" className={ghostButton}>
                {t.openDashboard}
              </a>
            </div>
          </section>
        )}
      </div>
    </main>
  );
}
