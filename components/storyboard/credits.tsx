"use client";

/**
 * Credits in the UI: the caller's balance (`GET /api/v1/credits`), a price line that says whether
 * the balance covers it (with the bot's /buy link when it does not), and localized messages for
 * the API's 402 `insufficient_credits` and 429 `rate_limited` errors. Used by the new-video form,
 * the Extend panel and "Start again".
 */
import { useCallback, useEffect, useState } from "react";
import type { CreditsJson } from "@/app/api/v1/credits/route";
import { ApiError, messageOf } from "./api";
import { type Dictionary, useT } from "./i18n";
import { useSurface } from "./surface";

/** The balance as loaded: null while loading; `error` when it could not be read. */
export interface CreditsState {
  credits: CreditsJson | null;
  error: string | null;
  /** Reads the balance again (after a job was started or refused). */
  reload: () => Promise<void>;
}

/** Loads the caller's credits once on mount and on `reload()`. */
export function useCredits(): CreditsState {
  const { api } = useSurface();
  const [credits, setCredits] = useState<CreditsJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setCredits(await api.credits());
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [api]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { credits, error, reload };
}

/**
 * The message to show for a failed request: for 402 the amounts (needed / balance / top-up), for
 * 429 when to try again, both in the UI language; the server's message otherwise.
 */
export function describeError(err: unknown, t: Dictionary): string {
  if (err instanceof ApiError) {
    const { needed, balance, retryAfterSeconds } = err.details;
    if (err.code === "insufficient_credits" && typeof needed === "number" && typeof balance === "number")
      return t.notEnoughCredits(needed, balance);
    if (err.status === 429 && typeof retryAfterSeconds === "number")
      return t.rateLimited(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
  return messageOf(err);
}

/** True when a failed request was refused for lack of credits (the top-up link helps). */
export function isCreditError(err: unknown): boolean {
  return err instanceof ApiError && err.code === "insufficient_credits";
}

/** A link to the bot's /buy; in the Mini App it opens the chat through Telegram. */
export function TopUpLink({ url }: { url: string }) {
  const t = useT();
  const { openTelegramLink } = useSurface();
  return (
    <a
      href={url}
      target="_blank"
      rel="noreferrer"
      onClick={(event) => {
        if (openTelegramLink(url)) event.preventDefault();
      }}
      className="font-semibold text-link underline-offset-2 hover:underline"
    >
      {t.topUp}
    </a>
  );
}

/**
 * "Cost 42 credits · Balance 100 credits (12 held by running videos)", and below it, when the
 * balance does not cover `price`, the shortfall message (role="alert") and the top-up link.
 * @param price credits the action will reserve.
 * @returns whether the balance is known to be short (the caller disables its submit).
 */
export function CreditLine({ price, state }: { price: number; state: CreditsState }) {
  const t = useT();
  const { credits, error } = state;
  const short = credits !== null && price > credits.available;
  return (
    <div className="space-y-1.5 text-xs" data-testid="credit-line">
      <p className="flex flex-wrap items-baseline gap-x-3 gap-y-0.5 text-muted">
        <span>
          {t.cost}: <strong className="font-semibold text-fg tabular-nums">{t.credits(price)}</strong>
        </span>
        {credits && (
          <span>
            {t.balance}:{" "}
            <strong className={`font-semibold tabular-nums ${short ? "text-danger" : "text-fg"}`}>
              {t.credits(credits.available)}
            </strong>
            {credits.reserved > 0 && ` (${t.reservedNote(credits.reserved)})`}
          </span>
        )}
        {error && <span>{t.creditsUnavailable}</span>}
      </p>
      {short && credits && (
        <p role="alert" className="rounded-lg bg-danger/10 px-3 py-2 text-danger">
          {t.notEnoughCredits(price, credits.available)}{" "}
          {credits.topUpUrl && <TopUpLink url={credits.topUpUrl} />}
        </p>
      )}
    </div>
  );
}

/** True when the loaded balance cannot cover `price` (false while it is loading or unknown). */
export function isShort(state: CreditsState, price: number): boolean {
  return state.credits !== null && price > state.credits.available;
}
