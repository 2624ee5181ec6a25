/**
 * `GET /api/v1/credits` → 200 `CreditsJson`: the caller's credits and what things cost, so a
 * client can show a live estimate (`estimateJob(format, prices)` from lib/credits/pricing.ts) and
 * refuse to submit what the balance cannot cover; 401 `{ code, message }` when not signed in.
 */
import { balance } from "@/lib/credits/ledger";
import type { PriceTable } from "@/lib/credits/pricing";
import { withRoute } from "@/lib/http/route";
import { studioPolicy } from "@/lib/studio/jobs";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The body of `GET /api/v1/credits`. All amounts are whole credits. */
export interface CreditsJson {
  /** Credits that can be reserved now (never negative). */
  available: number;
  /** Credits held by running jobs' open reservations (not part of `available`). */
  reserved: number;
  /** The price table jobs are reserved with on this server. */
  prices: PriceTable;
  /** Where to buy credits: the bot's `/buy` (`https://t.me/<bot>?start=buy`); null without a bot. */
  topUpUrl: string | null;
}

/** The caller's balance, the prices and the top-up link. */
export const GET = withRoute(async ({ deps, ownerId, auth }) => {
  const { available, reserved } = await balance(deps.db, ownerId);
  const bot = auth.config.botUsername;
  const body: CreditsJson = {
    available,
    reserved,
    prices: studioPolicy(deps).prices,
    topUpUrl: bot ? `https://t.me/${encodeURIComponent(bot)}?start=buy` : null,
  };
  return Response.json(body);
});
