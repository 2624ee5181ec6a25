import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { creditLedger } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { AppError } from "@/lib/errors";
import {
  balance,
  capture,
  ensureStartingGrant,
  getReservation,
  grant,
  InsufficientCreditsError,
  openReservations,
  refund,
  release,
  releaseJob,
  reserve,
} from "./ledger";
import { insertJob, insertUser } from "./test-fixtures";

let handle: DbHandle;
const db = () => handle.db;

/** Seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function entriesOf(userId: string) {
  return db().select().from(creditLedger).where(eq(creditLedger.userId, userId)).orderBy(creditLedger.id);
}

async function newAccount(credits: number) {
  const userId = await insertUser(db());
  const jobId = await insertJob(db(), userId);
  if (credits) await grant(db(), { userId, amount: credits, key: `seed:${userId}` });
  return { userId, jobId };
}

describe(`credit ledger (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
  });
  afterAll(() => handle.close());

  it("a failure mid-job gives back exactly the unspent part: reserve 30, capture 12, release 18", async () => {
    const { userId, jobId } = await newAccount(100);
    await reserve(db(), { userId, jobId, amount: 30, key: "r30" });
    expect(await balance(db(), userId)).toEqual({ available: 70, reserved: 30 });
    expect(await capture(db(), { reservationKey: "r30", amount: 12, key: "c12" })).toMatchObject({
      amount: 12,
    });
    expect(await balance(db(), userId)).toEqual({ available: 70, reserved: 18 });
    expect(await getReservation(db(), "r30")).toMatchObject({
      reserved: 30,
      captured: 12,
      released: 0,
      remaining: 18,
    });

    expect(await release(db(), { reservationKey: "r30", key: "failed" })).toMatchObject({ amount: 18 });
    expect(await balance(db(), userId)).toEqual({ available: 88, reserved: 0 });
    expect((await entriesOf(userId)).map((e) => [e.kind, e.amount, e.idempotencyKey])).toEqual([
      ["grant", 100, `seed:${userId}`],
      ["reserve", -30, "r30"],
      ["release", 12, "r30#hand-over:c12"],
      ["capture", -12, "r30#capture:c12"],
      ["release", 18, "r30#release:failed"],
    ]);
    expect(await openReservations(db(), userId)).toEqual([]);
  });

  it("books every operation once per key, and a repeat returns the first result", async () => {
    const { userId, jobId } = await newAccount(0);
    const first = await grant(db(), { userId, amount: 50, key: "topup-1" });
    expect(await grant(db(), { userId, amount: 999, key: "topup-1" })).toEqual(first);
    const reservation = await reserve(db(), { userId, jobId, amount: 20, key: "res-1" });
    expect(await reserve(db(), { userId, jobId, amount: 5, key: "res-1" })).toEqual(reservation);
    await capture(db(), { reservationKey: "res-1", amount: 8, key: "cap" });
    expect(await capture(db(), { reservationKey: "res-1", amount: 3, key: "cap" })).toMatchObject({
      amount: 8,
    });
    await release(db(), { reservationKey: "res-1", key: "rel" });
    expect(await release(db(), { reservationKey: "res-1", key: "rel" })).toMatchObject({ amount: 12 });
    await refund(db(), { userId, jobId, amount: 8, key: "ref" });
    expect(await refund(db(), { userId, jobId, amount: 8, key: "ref" })).toMatchObject({ amount: 8 });

    // The same keys concurrently: still one entry each.
    await Promise.all(Array.from({ length: 20 }, () => grant(db(), { userId, amount: 7, key: "topup-2" })));
    const entries = await entriesOf(userId);
    expect(entries.map((e) => e.kind)).toEqual([
      "grant",
      "reserve",
      "release",
      "capture",
      "release",
      "refund",
      "grant",
    ]);
    expect(await balance(db(), userId)).toEqual({ available: 50 + 7, reserved: 0 });
  });

  it("refuses a reservation beyond the available credits with the amount needed and a top-up hint", async () => {
    const { userId, jobId } = await newAccount(10);
    await reserve(db(), { userId, jobId, amount: 4, key: `${jobId}:a` });
    const error = await reserve(db(), { userId, jobId, amount: 42, key: `${jobId}:b` }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(error).toMatchObject({ code: "insufficient_credits", needed: 42, balance: 6, shortfall: 36 });
    expect((error as Error).message).toBe(
      "Not enough credits: this needs 42 and you have 6. Top up at least 36 credits to continue.",
    );
    expect(await entriesOf(userId)).toHaveLength(2);
  });

  it("captures at most what a reservation still holds, and nothing after its release", async () => {
    const { userId, jobId } = await newAccount(20);
    await reserve(db(), { userId, jobId, amount: 5, key: "small" });
    expect(await capture(db(), { reservationKey: "small", amount: 3, key: "a" })).toMatchObject({
      amount: 3,
    });
    expect(await capture(db(), { reservationKey: "small", amount: 9, key: "b" })).toMatchObject({
      amount: 2,
    });
    expect(await release(db(), { reservationKey: "small", key: "end" })).toMatchObject({ amount: 0 });
    expect(await capture(db(), { reservationKey: "small", amount: 1, key: "c" })).toMatchObject({
      amount: 0,
    });
    expect(await balance(db(), userId)).toEqual({ available: 15, reserved: 0 });
  });

  it("refunds at most what was spent on the job", async () => {
    const { userId, jobId } = await newAccount(20);
    await reserve(db(), { userId, jobId, amount: 10, key: `${jobId}:r` });
    await capture(db(), { reservationKey: `${jobId}:r`, amount: 6, key: "done" });
    await expect(refund(db(), { userId, jobId, amount: 7, key: `${jobId}:too-much` })).rejects.toMatchObject({
      code: "conflict",
    });
    await refund(db(), { userId, jobId, amount: 4, key: `${jobId}:part` });
    await expect(refund(db(), { userId, jobId, amount: 3, key: `${jobId}:again` })).rejects.toThrow(
      /only 2 were spent and not refunded/,
    );
    expect(await balance(db(), userId)).toEqual({ available: 10 + 4, reserved: 4 });
  });

  it("rejects bad amounts, bad keys, reused keys, unknown users and unknown reservations", async () => {
    const { userId, jobId } = await newAccount(5);
    await expect(grant(db(), { userId, amount: 0, key: "zero" })).rejects.toMatchObject({
      code: "bad_input",
    });
    await expect(grant(db(), { userId, amount: 1.5, key: "frac" })).rejects.toMatchObject({
      code: "bad_input",
    });
    await expect(grant(db(), { userId, amount: 1, key: "a#b" })).rejects.toMatchObject({ code: "bad_input" });
    await expect(reserve(db(), { userId, jobId, amount: 1, key: `seed:${userId}` })).rejects.toMatchObject({
      code: "conflict",
    });
    const stranger = "00000000-0000-4000-8000-00000000dead";
    await expect(grant(db(), { userId: stranger, amount: 1, key: "ghost" })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(capture(db(), { reservationKey: "nope", amount: 1, key: "x" })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(release(db(), { reservationKey: `seed:${userId}`, key: "x" })).rejects.toBeInstanceOf(
      AppError,
    );
    expect(await entriesOf(userId)).toHaveLength(1);
  });

  it("gives the starting grant once", async () => {
    const userId = await insertUser(db());
    await ensureStartingGrant(db(), userId, 100);
    await ensureStartingGrant(db(), userId, 100);
    await Promise.all([ensureStartingGrant(db(), userId, 100), ensureStartingGrant(db(), userId, 100)]);
    expect((await entriesOf(userId)).map((e) => [e.kind, e.amount, e.idempotencyKey])).toEqual([
      ["grant", 100, `starting-grant:${userId}`],
    ]);
    const other = await insertUser(db());
    expect(await ensureStartingGrant(db(), other, 0)).toMatchObject({ amount: 0 });
    expect(await entriesOf(other)).toEqual([]);
  });

  it("releases every open reservation of a job at once", async () => {
    const { userId, jobId } = await newAccount(30);
    await reserve(db(), { userId, jobId, amount: 5, key: `${jobId}:script` });
    await reserve(db(), { userId, jobId, amount: 10, key: `${jobId}:images` });
    await capture(db(), { reservationKey: `${jobId}:script`, amount: 5, key: "done" });
    await capture(db(), { reservationKey: `${jobId}:images`, amount: 4, key: "partial" });
    expect(await releaseJob(db(), { jobId, key: "failed" })).toBe(6);
    expect(await releaseJob(db(), { jobId, key: "failed" })).toBe(6);
    expect(await balance(db(), userId)).toEqual({ available: 21, reserved: 0 });
  });

  it("50 concurrent reservations against 10 credits never overdraw", async () => {
    const { userId, jobId } = await newAccount(10);
    const random = mulberry32(50);
    const costs = Array.from({ length: 50 }, () => 1 + Math.floor(random() * 3));
    const results = await Promise.allSettled(
      costs.map((amount, i) => reserve(db(), { userId, jobId, amount, key: `${jobId}:burst-${i}` })),
    );
    const granted = costs.filter((_, i) => results[i]!.status === "fulfilled");
    const refused = costs.filter((_, i) => results[i]!.status === "rejected");
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(InsufficientCreditsError);
    const spent = granted.reduce((a, b) => a + b, 0);
    expect(spent).toBeLessThanOrEqual(10);
    expect(granted.length).toBeGreaterThan(0);
    const { available, reserved } = await balance(db(), userId);
    expect({ available, reserved }).toEqual({ available: 10 - spent, reserved: spent });
    // Every refusal was right: credits only went down, and it did not fit at the end either.
    expect(available).toBeLessThan(Math.min(...refused));
    const reserveRows = (await entriesOf(userId)).filter((e) => e.kind === "reserve");
    expect(reserveRows).toHaveLength(granted.length);
  });

  it("keeps its invariants over 200 random sequences of operations (seeded)", async () => {
    const random = mulberry32(20240808);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    let operations = 0;
    // Ledger entries name a job but do not require its owner to be the user: two jobs serve all sequences.
    const jobOwner = await insertUser(db());
    const jobIds = [await insertJob(db(), jobOwner), await insertJob(db(), jobOwner)];

    for (let sequence = 0; sequence < 200; sequence++) {
      const userId = await insertUser(db());
      const model = {
        available: 0,
        reservations: new Map<
          string,
          { jobId: string; reserved: number; captured: number; released: number }
        >(),
        spent: new Map<string, number>(jobIds.map((j) => [j, 0])),
      };
      const held = () =>
        [...model.reservations.values()].reduce((s, r) => s + r.reserved - r.captured - r.released, 0);
      const replays: (() => Promise<void>)[] = [];
      const key = (name: string) => `s${sequence}-${name}-${operations}`;

      for (let step = int(3, 8); step > 0; step--, operations++) {
        const op = pick(["grant", "reserve", "reserve", "capture", "capture", "release", "refund", "replay"]);
        if (op === "grant") {
          const amount = int(1, 20);
          const k = key("g");
          await grant(db(), { userId, amount, key: k });
          model.available += amount;
          replays.push(async () => {
            expect(await grant(db(), { userId, amount: amount + 1, key: k })).toMatchObject({ amount });
          });
        } else if (op === "reserve") {
          const amount = int(1, 15);
          const jobId = pick(jobIds);
          const k = key("r");
          if (model.available < amount) {
            await expect(reserve(db(), { userId, jobId, amount, key: k })).rejects.toMatchObject({
              needed: amount,
              balance: model.available,
            });
          } else {
            await reserve(db(), { userId, jobId, amount, key: k });
            model.available -= amount;
            model.reservations.set(k, { jobId, reserved: amount, captured: 0, released: 0 });
            replays.push(async () => {
              expect(await reserve(db(), { userId, jobId, amount: 1, key: k })).toMatchObject({ amount });
            });
          }
        } else if (op === "capture" && model.reservations.size) {
          const [reservationKey, r] = pick([...model.reservations.entries()]);
          const amount = int(1, r.reserved + 2);
          const expected = Math.min(amount, r.reserved - r.captured - r.released);
          const k = key("c");
          expect(await capture(db(), { reservationKey, amount, key: k })).toMatchObject({ amount: expected });
          r.captured += expected;
          model.spent.set(r.jobId, model.spent.get(r.jobId)! + expected);
          replays.push(async () => {
            expect(await capture(db(), { reservationKey, amount: 1, key: k })).toMatchObject({
              amount: expected,
            });
          });
        } else if (op === "release" && model.reservations.size) {
          const [reservationKey, r] = pick([...model.reservations.entries()]);
          const expected = r.reserved - r.captured - r.released;
          const k = key("l");
          expect(await release(db(), { reservationKey, key: k })).toMatchObject({ amount: expected });
          r.released += expected;
          model.available += expected;
          replays.push(async () => {
            expect(await release(db(), { reservationKey, key: k })).toMatchObject({ amount: expected });
          });
        } else if (op === "refund") {
          const jobId = pick(jobIds);
          const refundable = model.spent.get(jobId)!;
          const amount = int(1, refundable + 2);
          const k = key("f");
          if (amount > refundable) {
            await expect(refund(db(), { userId, jobId, amount, key: k })).rejects.toMatchObject({
              code: "conflict",
            });
          } else {
            await refund(db(), { userId, jobId, amount, key: k });
            model.spent.set(jobId, refundable - amount);
            model.available += amount;
            replays.push(async () => {
              expect(await refund(db(), { userId, jobId, amount, key: k })).toMatchObject({ amount });
            });
          }
        } else if (op === "replay" && replays.length) {
          await pick(replays)();
        }

        const entries = await entriesOf(userId);
        const sum = entries.reduce((s, e) => s + e.amount, 0);
        const actual = await balance(db(), userId);
        expect(actual.available).toBeGreaterThanOrEqual(0);
        expect(actual.available).toBe(sum);
        expect(actual).toEqual({ available: model.available, reserved: held() });
        expect(new Set(entries.map((e) => e.idempotencyKey)).size).toBe(entries.length);
        const open = await openReservations(db(), userId);
        expect(open.reduce((s, r) => s + r.remaining, 0)).toBe(actual.reserved);
      }

      for (const reservationKey of model.reservations.keys())
        await release(db(), { reservationKey, key: "settle" });
      expect(await openReservations(db(), userId)).toEqual([]);
      for (const [reservationKey, r] of model.reservations) {
        const state = await getReservation(db(), reservationKey);
        expect(state.captured).toBe(r.captured);
        expect(state.captured + state.released).toBe(state.reserved);
        model.available += r.reserved - r.captured - r.released;
      }
      expect(await balance(db(), userId)).toEqual({ available: model.available, reserved: 0 });
    }
    expect(operations).toBeGreaterThan(900);
  });
});
