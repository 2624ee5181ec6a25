/**
 * One-time sign-in links on a real database (PGlite, and PostgreSQL under KADR_TEST_DB=postgres):
 * issue, redeem once, refuse a second redeem, an expired and a forged token with their own codes,
 * and exactly one success among concurrent redeems of one token.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { loginTokens, users } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import {
  hashLoginToken,
  inspectLoginToken,
  issueLoginLink,
  LOGIN_PATH,
  loginLinksEnabled,
  redeemLoginToken,
} from "./login-links";

const PUBLIC_URL = "https://kadr.example";
const T0 = new Date("2027-01-15T10:00:00Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

let handle: DbHandle;
let userId: string;

/** The token of a link URL. */
const tokenOf = (url: string) => new URL(url).searchParams.get("token")!;

describe(`one-time sign-in links (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    const [user] = await handle.db
      .insert(users)
      .values({ telegramId: 777_001, displayName: "Anna", language: "ru" })
      .returning();
    userId = user!.id;
  });
  afterAll(async () => {
    await handle.close();
  });

  it("issues a link to /login with a 32-byte base64url token, storing only its SHA-256", async () => {
    const link = await issueLoginLink(handle.db, userId, PUBLIC_URL, T0);
    expect(link.url).toMatch(new RegExp(`^${PUBLIC_URL}${LOGIN_PATH}\\?token=[A-Za-z0-9_-]{43}$`));
    expect(Buffer.from(tokenOf(link.url), "base64url")).toHaveLength(32);
    expect(link.expiresAt).toEqual(minutes(10));
    const [row] = await handle.db
      .select()
      .from(loginTokens)
      .where(eq(loginTokens.tokenHash, hashLoginToken(tokenOf(link.url))));
    expect(row).toMatchObject({ userId, createdAt: T0, expiresAt: minutes(10), usedAt: null });
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    // The token itself is nowhere in the table.
    const all = JSON.stringify(await handle.db.select().from(loginTokens));
    expect(all).not.toContain(tokenOf(link.url));
  });

  it("redeems once; a second redeem is 401 login_link_used", async () => {
    const token = tokenOf((await issueLoginLink(handle.db, userId, PUBLIC_URL, T0)).url);
    expect(await inspectLoginToken(handle.db, token, minutes(1))).toMatchObject({
      state: "valid",
      userId,
      displayName: "Anna",
      language: "ru",
    });
    expect(await redeemLoginToken(handle.db, token, minutes(1))).toBe(userId);
    await expect(redeemLoginToken(handle.db, token, minutes(2))).rejects.toMatchObject({
      code: "login_link_used",
      status: 401,
      message: expect.stringContaining("already used"),
    });
    expect(await inspectLoginToken(handle.db, token, minutes(2))).toEqual({
      state: "login_link_used",
      language: "ru",
    });
  });

  it("refuses a token at and after its expiry with 401 login_link_expired, and honours a custom TTL", async () => {
    const token = tokenOf((await issueLoginLink(handle.db, userId, PUBLIC_URL, T0)).url);
    await expect(redeemLoginToken(handle.db, token, minutes(10))).rejects.toMatchObject({
      code: "login_link_expired",
      status: 401,
      message: expect.stringContaining("expired"),
    });
    // Refused redeems leave it unused: it stays "expired", never turns "used".
    const [row] = await handle.db
      .select()
      .from(loginTokens)
      .where(eq(loginTokens.tokenHash, hashLoginToken(token)));
    expect(row!.usedAt).toBeNull();

    const short = await issueLoginLink(handle.db, userId, PUBLIC_URL, T0, 60);
    expect(short.expiresAt).toEqual(minutes(1));
    await expect(redeemLoginToken(handle.db, tokenOf(short.url), minutes(1.5))).rejects.toMatchObject({
      code: "login_link_expired",
    });
  });

  it("refuses forged, malformed and empty tokens with 401 login_link_unknown", async () => {
    const issued = tokenOf((await issueLoginLink(handle.db, userId, PUBLIC_URL, T0)).url);
    const forged = `${issued.slice(0, -1)}${issued.endsWith("A") ? "B" : "A"}`;
    for (const token of [forged, "A".repeat(43), "short", "", `${issued}x`, "../../etc/passwd"]) {
      await expect(redeemLoginToken(handle.db, token, minutes(1))).rejects.toMatchObject({
        code: "login_link_unknown",
        status: 401,
        message: expect.stringContaining("not valid"),
      });
    }
    // None of them touched the real token.
    expect(await redeemLoginToken(handle.db, issued, minutes(1))).toBe(userId);
  });

  it("lets exactly one of concurrent redeems of a token succeed", async () => {
    const token = tokenOf((await issueLoginLink(handle.db, userId, PUBLIC_URL, T0)).url);
    if (testDbKind() === "postgres") {
      // Open the pool's connections first: on a cold pool the first redeem finishes on the one open
      // connection before the others have connected, and the race never happens.
      await Promise.all(Array.from({ length: 8 }, () => handle.db.execute(sql`select pg_sleep(0.05)`)));
    }
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => redeemLoginToken(handle.db, token, minutes(1))),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(won).toEqual([{ status: "fulfilled", value: userId }]);
    expect(lost.map((o) => o.reason.code)).toEqual(Array(7).fill("login_link_used"));
  });

  it("keeps earlier links valid after a new one, issues only for https origins, prunes day-old rows", async () => {
    const first = tokenOf((await issueLoginLink(handle.db, userId, PUBLIC_URL, T0)).url);
    const second = tokenOf((await issueLoginLink(handle.db, userId, PUBLIC_URL, minutes(1))).url);
    expect(await redeemLoginToken(handle.db, first, minutes(2))).toBe(userId);
    expect(await redeemLoginToken(handle.db, second, minutes(2))).toBe(userId);

    expect(loginLinksEnabled("http://127.0.0.1:3000")).toBe(false);
    expect(loginLinksEnabled(undefined)).toBe(false);
    await expect(issueLoginLink(handle.db, userId, "http://kadr.example", T0)).rejects.toMatchObject({
      code: "conflict",
    });

    // A day and a bit later a new link deletes every row that expired over a day ago.
    const later = new Date(T0.getTime() + 25 * 3600_000);
    const fresh = tokenOf((await issueLoginLink(handle.db, userId, PUBLIC_URL, later)).url);
    const left = await handle.db.select({ hash: loginTokens.tokenHash }).from(loginTokens);
    expect(left).toEqual([{ hash: hashLoginToken(fresh) }]);
    await expect(redeemLoginToken(handle.db, first, later)).rejects.toMatchObject({
      code: "login_link_unknown",
    });
  });

  it("deletes a user's links with the user", async () => {
    const [other] = await handle.db
      .insert(users)
      .values({ telegramId: 777_002, displayName: "Boris" })
      .returning();
    const token = tokenOf((await issueLoginLink(handle.db, other!.id, PUBLIC_URL, T0)).url);
    await handle.db.delete(users).where(eq(users.id, other!.id));
    expect(await inspectLoginToken(handle.db, token, minutes(1))).toEqual({ state: "login_link_unknown" });
  });
});
