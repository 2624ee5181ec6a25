/**
 * Credit top-ups paid in Telegram Stars (https://core.telegram.org/bots/payments-stars).
 *
 * Flow: the bot sends an invoice for one pack (https://core.telegram.org/bots/api#sendinvoice:
 * currency "XTR", an empty provider_token, exactly one LabeledPrice in whole Stars); when the user
 * presses Pay, Telegram asks with a pre_checkout_query, answered within 10 s
 * (https://core.telegram.org/bots/api#answerprecheckoutquery); after the charge, a service message
 * with `successful_payment` (https://core.telegram.org/bots/api#successfulpayment) arrives, and only
 * then are credits granted — once per `telegram_payment_charge_id`, through the ledger's idempotent
 * `grant` under the key `stars:<chargeId>`.
 *
 * The packs are a small config table; the invoice payload names the pack (`pack:<id>`), so a
 * payment for a pack that no longer exists or at another price is refused at pre-checkout.
 */
import { eq } from "drizzle-orm";
import { type Booking, balance, type CreditBalance, grant } from "@/lib/credits/ledger";
import type { Db } from "@/lib/db";
import { creditLedger } from "@/lib/db/schema";

/** Telegram Stars' currency code. */
export const STARS_CURRENCY = "XTR";

/** A pack of credits sold for Stars. */
export interface CreditPack {
  /** Stable id used in invoice payloads and callback data: 1–32 chars of [a-z0-9-]. */
  id: string;
  /** Credits granted. */
  credits: number;
  /** Price in Telegram Stars (whole Stars, the XTR amount). */
  stars: number;
}

/**
 * The packs on offer. A default 10 × 5 s video costs 42 credits (lib/credits/pricing.ts), so the
 * smallest pack buys about two of them.
 */
export const CREDIT_PACKS: readonly CreditPack[] = [
  { id: "credits-100", credits: 100, stars: 50 },
  { id: "credits-500", credits: 500, stars: 225 },
  { id: "credits-2000", credits: 2000, stars: 800 },
];

const PAYLOAD_PREFIX = "pack:";

/** The invoice payload of a pack, e.g. "pack:credits-100" (Telegram allows 1–128 bytes). */
export function invoicePayload(pack: CreditPack): string {
  return `${PAYLOAD_PREFIX}${pack.id}`;
}

/** The pack an invoice payload names, or undefined for anything else. */
export function packOfPayload(payload: string, packs: readonly CreditPack[] = CREDIT_PACKS) {
  if (!payload.startsWith(PAYLOAD_PREFIX)) return undefined;
  const id = payload.slice(PAYLOAD_PREFIX.length);
  return packs.find((p) => p.id === id);
}

/** The pack of exactly `credits` credits, or undefined. */
export function packOfCredits(credits: number, packs: readonly CreditPack[] = CREDIT_PACKS) {
  return packs.find((p) => p.credits === credits);
}

/**
 * Whether a checkout may go on: the payload names a known pack and the currency and amount are
 * the pack's (an invoice sent before a price change is refused).
 * @returns the pack, or undefined to answer ok = false.
 */
export function checkoutPack(
  query: { invoice_payload: string; currency: string; total_amount: number },
  packs: readonly CreditPack[] = CREDIT_PACKS,
): CreditPack | undefined {
  const pack = packOfPayload(query.invoice_payload, packs);
  if (!pack || query.currency !== STARS_CURRENCY || query.total_amount !== pack.stars) return undefined;
  return pack;
}

/** The ledger key of a Stars payment: `stars:<telegram_payment_charge_id>`. */
export function paymentKey(chargeId: string): string {
  return `stars:${chargeId}`;
}

/** The outcome of crediting one payment. */
export interface PaymentCredit {
  booking: Booking;
  /** False when this charge was credited before (a redelivered update): nothing was booked now. */
  isNew: boolean;
  /** The user's credits after the grant. */
  balance: CreditBalance;
}

/**
 * Grants a pack's credits for one successful payment, once per charge id.
 * @throws AppError("bad_input") for a charge id the ledger refuses as a key (contains "#", or the
 *   key is over 200 characters); AppError("conflict") if the key belongs to another user's booking.
 */
export async function creditPayment(
  db: Db,
  input: { userId: string; pack: CreditPack; chargeId: string },
): Promise<PaymentCredit> {
  const key = paymentKey(input.chargeId);
  const [before] = await db
    .select({ id: creditLedger.id })
    .from(creditLedger)
    .where(eq(creditLedger.idempotencyKey, key));
  const booking = await grant(db, { userId: input.userId, amount: input.pack.credits, key });
  return { booking, isNew: !before, balance: await balance(db, input.userId) };
}
