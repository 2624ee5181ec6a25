/**
 * The credit ledger: append-only entries in `credit_ledger`, never a balance column. All amounts
 * are whole credits.
 *
 * Accounting model. Each entry's signed `amount` is its effect on the user's AVAILABLE credits,
 * so `available = Σ amount` over the user's entries, always:
 *
 * | kind    | amount | meaning                                                                   |
 * |---------|--------|---------------------------------------------------------------------------|
 * | grant   | +a     | credits given (starting grant, top-up)                                    |
 * | reserve | −R     | a hold for a paid stage; the credits leave "available" at once            |
 * | release | +r     | part of a hold given back (booked against its reservation)                |
 * | capture | −c     | credits spent; always booked together with a `release +c` of the same hold |
 * | refund  | +a     | spent credits given back (at most what was captured for that job)         |
 *
 * A capture of c therefore writes two entries in one transaction — `release +c` (the hold hands c
 * over) and `capture −c` (the user spends it) — so a capture never moves "available", and
 * `spent = −Σ capture`. A reservation's RESERVED (still held) part is `R − Σ release entries booked
 * against it`; it is open while that is > 0. The user's `reserved` is the sum over open
 * reservations; it is already excluded from `available` (available + reserved = what the user owns).
 *
 * Entries booked against a reservation carry the idempotency key `<reservationKey>#<op>:<key>`, which
 * links them to it without a reference column; caller keys therefore may not contain `#`.
 *
 * Guarantees. Every operation is idempotent on its key: the unique index on `idempotency_key`
 * holds each booking once, and a repeated call returns the first call's result without booking
 * again. Every operation runs in one transaction that first locks the user's row (`SELECT … FOR NO
 * KEY UPDATE` on `users`), so operations of one user are serialized on PostgreSQL under any number
 * of connections (PGlite runs one transaction at a time anyway): `available` never goes below
 * zero, and a capture never exceeds what its reservation still holds.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { type CreditEntryKind, creditLedger } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import { lockUser } from "./user-lock";

/** Longest caller key accepted. */
const MAX_KEY_LENGTH = 200;
/** Separates a reservation's key from the operations booked against it. */
const RESERVATION_SEPARATOR = "#";

/** The result of a booking: the caller's key and the credits it moved (0 when nothing was left). */
export interface Booking {
  key: string;
  userId: string;
  jobId: string | null;
  /** Credits moved by this operation, as a non-negative number. */
  amount: number;
}

/** A reservation and how much of it is spent and still held, in credits. */
export interface ReservationState {
  key: string;
  userId: string;
  jobId: string | null;
  /** Credits reserved originally. */
  reserved: number;
  /** Credits captured (spent) from it so far. */
  captured: number;
  /** Credits given back to "available" by releases so far. */
  released: number;
  /** Credits still held: reserved − captured − released. */
  remaining: number;
  createdAt: Date;
}

/** A user's credits: what can be reserved now, and what is held by open reservations. */
export interface CreditBalance {
  /** Σ of all entries; never negative. */
  available: number;
  /** Σ of the remaining parts of open reservations (not included in `available`). */
  reserved: number;
}

/**
 * Not enough available credits for a reservation. HTTP 402 (`insufficient_credits`); the message
 * names the amount needed, the balance and the top-up to make, for the bot and the UI to show as is.
 */
export class InsufficientCreditsError extends AppError {
  override name = "InsufficientCreditsError";
  constructor(
    /** Credits the operation needs. */
    readonly needed: number,
    /** Credits available at the time of the request. */
    readonly balance: number,
  ) {
    super(
      "insufficient_credits",
      `Not enough credits: this needs ${needed} and you have ${balance}. ` +
        `Top up at least ${needed - balance} credits to continue.`,
    );
  }

  /** Credits to top up before the operation can start. */
  get shortfall(): number {
    return this.needed - this.balance;
  }
}

/**
 * Gives `amount` credits to a user (top-up, bonus).
 * @param input.key idempotency key, e.g. `topup:<paymentId>`; it also records why credits were given.
 * @returns the booking; a repeated key returns the first booking.
 * @throws AppError("bad_input") for a non-positive or fractional amount or a bad key;
 *   AppError("not_found") for an unknown user; AppError("conflict") when the key was used for
 *   another user or another kind of entry.
 */
export async function grant(
  db: Db,
  input: { userId: string; amount: number; key: string },
): Promise<Booking> {
  checkKey(input.key);
  checkAmount(input.amount);
  return db.transaction(async (tx) => {
    await lockUser(tx, input.userId);
    const existing = await findEntry(tx, input.key);
    if (existing) return asBooking(sameBooking(existing, input.userId, "grant"), input.key);
    await book(tx, {
      userId: input.userId,
      jobId: null,
      kind: "grant",
      amount: input.amount,
      key: input.key,
    });
    return { key: input.key, userId: input.userId, jobId: null, amount: input.amount };
  });
}

/**
 * Gives a new user their starting credits once (key `starting-grant:<userId>`); call it when the
 * user is created or first seen. The caller reads the amount from `KADR_STARTING_CREDITS`.
 * @returns the booking (amount 0 and nothing booked when `amount` is 0).
 * @throws like `grant`.
 */
export async function ensureStartingGrant(db: Db, userId: string, amount: number): Promise<Booking> {
  if (amount === 0) return { key: `starting-grant:${userId}`, userId, jobId: null, amount: 0 };
  return grant(db, { userId, amount, key: `starting-grant:${userId}` });
}

/**
 * Holds `amount` credits of the user's available credits for a job (before a paid stage).
 * @param input.key the reservation's key, e.g. `job:<jobId>:images`; captures and releases name it.
 * @returns the booking; a repeated key returns the first booking, even if the amount differs.
 * @throws InsufficientCreditsError when fewer than `amount` credits are available (nothing is
 *   booked); AppError("bad_input"), AppError("not_found"), AppError("conflict") as `grant`.
 */
export async function reserve(
  db: Db,
  input: { userId: string; jobId: string | null; amount: number; key: string },
): Promise<Booking> {
  checkKey(input.key);
  checkAmount(input.amount);
  return db.transaction(async (tx) => {
    await lockUser(tx, input.userId);
    const existing = await findEntry(tx, input.key);
    if (existing) return asBooking(sameBooking(existing, input.userId, "reserve"), input.key);
    const { available } = await balance(tx, input.userId);
    if (available < input.amount) throw new InsufficientCreditsError(input.amount, available);
    await book(tx, { ...input, kind: "reserve", amount: -input.amount });
    return { key: input.key, userId: input.userId, jobId: input.jobId, amount: input.amount };
  });
}

/**
 * Spends up to `amount` credits of a reservation (after a paid stage succeeded). Only what the
 * reservation still holds can be spent: a larger amount is cut down to it; the rest of the hold
 * stays reserved until released.
 * @returns the booking with the credits actually captured; a repeated key returns the first result.
 * @throws AppError("not_found") for an unknown reservation; AppError("bad_input") for a bad amount or key.
 */
export async function capture(
  db: Db,
  input: { reservationKey: string; amount: number; key: string },
): Promise<Booking> {
  checkKey(input.key);
  checkAmount(input.amount);
  return db.transaction(async (tx) => {
    const reservation = await lockReservation(tx, input.reservationKey);
    const captureKey = settlementKey(input.reservationKey, "capture", input.key);
    const existing = await findEntry(tx, captureKey);
    if (existing) return asBooking(existing, input.key);
    const state = await reservationState(tx, reservation);
    const amount = Math.min(input.amount, state.remaining);
    const booking = { key: input.key, userId: reservation.userId, jobId: reservation.jobId, amount };
    if (amount === 0) return booking;
    const common = { userId: reservation.userId, jobId: reservation.jobId };
    await book(
      tx,
      {
        ...common,
        kind: "release",
        amount,
        key: settlementKey(input.reservationKey, "hand-over", input.key),
      },
      { ...common, kind: "capture", amount: -amount, key: captureKey },
    );
    return booking;
  });
}

/**
 * Gives the unspent rest of a reservation back to the user's available credits (after the last
 * capture, or on failure, cancellation, rejection or gate timeout).
 * @returns the booking with the credits released (0 when nothing was left); a repeated key returns
 *   the first result.
 * @throws AppError("not_found") for an unknown reservation; AppError("bad_input") for a bad key.
 */
export async function release(db: Db, input: { reservationKey: string; key: string }): Promise<Booking> {
  checkKey(input.key);
  return db.transaction(async (tx) =>
    releaseLocked(tx, await lockReservation(tx, input.reservationKey), input.key),
  );
}

/**
 * Releases every open reservation of a job (any user), each with the same caller `key` — the
 * one call for a pipeline's onFailure, a cancellation or a gate timeout.
 * @returns the total credits released.
 * @throws AppError("bad_input") for a bad key.
 */
export async function releaseJob(db: Db, input: { jobId: string; key: string }): Promise<number> {
  checkKey(input.key);
  const reservations = await db
    .select({ key: creditLedger.idempotencyKey })
    .from(creditLedger)
    .where(and(eq(creditLedger.jobId, input.jobId), eq(creditLedger.kind, "reserve")));
  let total = 0;
  for (const { key } of reservations)
    total += (await release(db, { reservationKey: key, key: input.key })).amount;
  return total;
}

/**
 * Gives back credits the user spent on a job (e.g. a shared generation that failed after its
 * stages were captured). At most what was captured for that job minus earlier refunds.
 * @returns the booking; a repeated key returns the first booking.
 * @throws AppError("conflict") when `amount` exceeds the refundable credits of the job;
 *   AppError("bad_input"), AppError("not_found") as `grant`.
 */
export async function refund(
  db: Db,
  input: { userId: string; jobId: string; amount: number; key: string },
): Promise<Booking> {
  checkKey(input.key);
  checkAmount(input.amount);
  return db.transaction(async (tx) => {
    await lockUser(tx, input.userId);
    const existing = await findEntry(tx, input.key);
    if (existing) return asBooking(sameBooking(existing, input.userId, "refund"), input.key);
    const [row] = await tx
      .select({ net: sumOf(sql`${creditLedger.amount}`) })
      .from(creditLedger)
      .where(
        and(
          eq(creditLedger.userId, input.userId),
          eq(creditLedger.jobId, input.jobId),
          sql`${creditLedger.kind} in ('capture', 'refund')`,
        ),
      );
    const refundable = 0 - (row?.net ?? 0);
    if (input.amount > refundable) {
      throw new AppError(
        "conflict",
        `Cannot refund ${input.amount} credits for job ${input.jobId}: only ${refundable} were spent and not refunded`,
      );
    }
    await book(tx, { ...input, kind: "refund", amount: input.amount });
    return { key: input.key, userId: input.userId, jobId: input.jobId, amount: input.amount };
  });
}

/** The user's available and reserved credits (0 and 0 for a user without entries). */
export async function balance(db: Db, userId: string): Promise<CreditBalance> {
  const [row] = await db
    .select({
      available: sumOf(sql`${creditLedger.amount}`),
      reserved: sumOf(
        sql`case when ${creditLedger.kind} in ('reserve', 'release') then -${creditLedger.amount} else 0 end`,
      ),
    })
    .from(creditLedger)
    .where(eq(creditLedger.userId, userId));
  return { available: row?.available ?? 0, reserved: row?.reserved ?? 0 };
}

/** The user's reservations that still hold credits, oldest first. */
export async function openReservations(db: Db, userId: string): Promise<ReservationState[]> {
  const reservations = await db
    .select()
    .from(creditLedger)
    .where(and(eq(creditLedger.userId, userId), eq(creditLedger.kind, "reserve")))
    .orderBy(creditLedger.id);
  const reservationKey = sql<string>`split_part(${creditLedger.idempotencyKey}, ${sql.raw(`'${RESERVATION_SEPARATOR}'`)}, 1)`;
  const settlements = await db
    .select({ reservationKey, kind: creditLedger.kind, total: sumOf(sql`${creditLedger.amount}`) })
    .from(creditLedger)
    .where(and(eq(creditLedger.userId, userId), inArray(creditLedger.kind, ["release", "capture"])))
    .groupBy(reservationKey, creditLedger.kind);
  return reservations
    .map((reservation) =>
      stateOf(
        reservation,
        settlements.filter((s) => s.reservationKey === reservation.idempotencyKey),
      ),
    )
    .filter((s) => s.remaining > 0);
}

/**
 * The current state of one reservation.
 * @throws AppError("not_found") for an unknown reservation key.
 */
export async function getReservation(db: Db, reservationKey: string): Promise<ReservationState> {
  return reservationState(db, await findReservation(db, reservationKey));
}

type Entry = typeof creditLedger.$inferSelect;

function checkKey(key: string) {
  if (!key || key.length > MAX_KEY_LENGTH || key.includes(RESERVATION_SEPARATOR)) {
    throw new AppError(
      "bad_input",
      `A credit idempotency key must be 1–${MAX_KEY_LENGTH} characters without "${RESERVATION_SEPARATOR}"`,
    );
  }
}

function checkAmount(amount: number) {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new AppError("bad_input", `A credit amount must be a positive whole number, not ${amount}`);
  }
}

function settlementKey(reservationKey: string, op: "capture" | "hand-over" | "release", key: string) {
  return `${reservationKey}${RESERVATION_SEPARATOR}${op}:${key}`;
}

/** Σ of an integer expression as a JS number (0 over no rows). */
function sumOf(expression: ReturnType<typeof sql>) {
  return sql<number>`coalesce(sum(${expression}), 0)::int`.mapWith(Number);
}

async function findEntry(db: Db, key: string): Promise<Entry | undefined> {
  const [entry] = await db.select().from(creditLedger).where(eq(creditLedger.idempotencyKey, key));
  return entry;
}

async function findReservation(db: Db, reservationKey: string): Promise<Entry> {
  const entry = await findEntry(db, reservationKey);
  if (entry?.kind !== "reserve") throw new AppError("not_found", `No reservation ${reservationKey}`);
  return entry;
}

/** Finds a reservation and locks its user (reservations are immutable, so reading first is safe). */
async function lockReservation(tx: Db, reservationKey: string): Promise<Entry> {
  const reservation = await findReservation(tx, reservationKey);
  await lockUser(tx, reservation.userId);
  return reservation;
}

/** An existing entry under a repeated key must be the same kind of booking for the same user. */
function sameBooking(entry: Entry, userId: string, kind: CreditEntryKind): Entry {
  if (entry.userId !== userId || entry.kind !== kind) {
    throw new AppError(
      "conflict",
      `The credit key ${entry.idempotencyKey} is already used by another booking`,
    );
  }
  return entry;
}

function asBooking(entry: Entry, key: string): Booking {
  return { key, userId: entry.userId, jobId: entry.jobId, amount: Math.abs(entry.amount) };
}

/** Inserts entries (in the given order, in one statement). */
async function book(
  tx: Db,
  ...entries: { userId: string; jobId: string | null; kind: CreditEntryKind; amount: number; key: string }[]
) {
  await tx.insert(creditLedger).values(
    entries.map((e) => ({
      userId: e.userId,
      jobId: e.jobId,
      kind: e.kind,
      amount: e.amount,
      idempotencyKey: e.key,
    })),
  );
}

async function reservationState(db: Db, reservation: Entry): Promise<ReservationState> {
  const settlements = await db
    .select({ kind: creditLedger.kind, total: sumOf(sql`${creditLedger.amount}`) })
    .from(creditLedger)
    .where(
      and(
        eq(creditLedger.userId, reservation.userId),
        sql`starts_with(${creditLedger.idempotencyKey}, ${reservation.idempotencyKey + RESERVATION_SEPARATOR})`,
      ),
    )
    .groupBy(creditLedger.kind);
  return stateOf(reservation, settlements);
}

/** A reservation's state from the sums of the entries booked against it, per kind. */
function stateOf(
  reservation: Entry,
  settlements: { kind: CreditEntryKind; total: number }[],
): ReservationState {
  const totalOf = (kind: CreditEntryKind) => settlements.find((s) => s.kind === kind)?.total ?? 0;
  const reserved = -reservation.amount;
  const handedBack = totalOf("release");
  const captured = 0 - totalOf("capture");
  return {
    key: reservation.idempotencyKey,
    userId: reservation.userId,
    jobId: reservation.jobId,
    reserved,
    captured,
    released: handedBack - captured,
    remaining: reserved - handedBack,
    createdAt: reservation.createdAt,
  };
}

/** Books the release of what `reservation` still holds; its user is locked by the caller. */
async function releaseLocked(tx: Db, reservation: Entry, key: string): Promise<Booking> {
  const releaseKey = settlementKey(reservation.idempotencyKey, "release", key);
  const existing = await findEntry(tx, releaseKey);
  if (existing) return asBooking(existing, key);
  const { remaining } = await reservationState(tx, reservation);
  if (remaining > 0) {
    await book(tx, {
      userId: reservation.userId,
      jobId: reservation.jobId,
      kind: "release",
      amount: remaining,
      key: releaseKey,
    });
  }
  return { key, userId: reservation.userId, jobId: reservation.jobId, amount: remaining };
}
