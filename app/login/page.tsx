/**
 * `/login?token=…` — where the bot's /login button lands (lib/auth/login-links.ts). The GET only
 * looks the token up, it never redeems it: Telegram's link previews, browser prefetches and
 * security scanners may fetch the URL, and none of them may spend the link. A valid link shows who
 * signs in and a [Continue] button that posts to `/api/v1/auth/login-link`; an unknown, used or
 * expired one says so and how to get a new one. The language is the link's user's, else the
 * browser's (Accept-Language). Outside the (dashboard) group: no sign-in gate around it.
 */
import type { Metadata } from "next";
import { headers } from "next/headers";
import { LoginLinkCard, type LoginLinkView } from "@/components/login/LoginLinkCard";
import { loadAuthConfig } from "@/lib/auth/config";
import { inspectLoginToken } from "@/lib/auth/login-links";
import { getRuntime } from "@/lib/runtime";
import { languageFromCode } from "@/lib/studio/users";

export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Sign in · Kadr",
  // The URL carries the token: no Referer to other sites (links to t.me), and no index. Not
  // "no-referrer": that makes the [Continue] post's Origin "null", which the route refuses.
  referrer: "same-origin",
  robots: { index: false, follow: false },
};

/** The sign-in link page (see the module comment). */
export default async function LoginLinkPage(props: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { token } = await props.searchParams;
  const given = typeof token === "string" ? token : "";
  const { dbHandle } = await getRuntime();
  const state = await inspectLoginToken(dbHandle.db, given);
  const acceptLanguage = (await headers()).get("accept-language")?.split(",")[0]?.trim();
  const locale = languageFromCode(state.language ?? acceptLanguage);
  const view: LoginLinkView =
    state.state === "valid"
      ? {
          kind: "valid",
          token: given,
          displayName: state.displayName,
          minutesLeft: Math.max(1, Math.ceil((state.expiresAt.getTime() - Date.now()) / 60_000)),
        }
      : { kind: "failed", failure: state.state };
  return <LoginLinkCard view={view} locale={locale} botUsername={loadAuthConfig().botUsername} />;
}
