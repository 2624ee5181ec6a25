/**
 * `POST /api/v1/auth/login-link` as Next.js calls it (the real route module on the process
 * runtime, PGlite or PostgreSQL): a valid token → 303 to `/` with a working session cookie; a used
 * or forged token → 303 back to the sign-in page and no cookie; cross-site posts, a missing field
 * and a non-form body refused without spending the token.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/v1/auth/login-link/route";
import { GET as getMe } from "@/app/api/v1/auth/me/route";
import { issueLoginLink } from "@/lib/auth/login-links";
import type { DbHandle } from "@/lib/db";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { createRuntime, setRuntime } from "@/lib/runtime";
import { upsertTelegramUser } from "@/lib/studio/users";

const ORIGIN = "http://127.0.0.1:3210";
const savedEnv = { ...process.env };
let handle: DbHandle;
let dataDir: string;
let userId: string;

/** Calls the route with a form body, as the sign-in page's [Continue] posts it. */
function post(body: BodyInit | null, headers: Record<string, string> = {}): Promise<Response> {
  const request = new Request(`${ORIGIN}/api/v1/auth/login-link`, {
    method: "POST",
    headers: { host: "127.0.0.1:3210", origin: ORIGIN, "sec-fetch-site": "same-origin", ...headers },
    body,
  });
  return POST(request, { params: Promise.resolve({}) });
}
const form = (token: string) => new URLSearchParams({ token });
const newToken = async () =>
  new URL((await issueLoginLink(handle.db, userId, "https://kadr.example")).url).searchParams.get("token")!;

describe(`POST /api/v1/auth/login-link (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
    dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-login-link-"));
    setRuntime(await createRuntime({ dbHandle: handle, dataDir }));
    userId = (await upsertTelegramUser(handle.db, { id: 6006, firstName: "Mira", languageCode: "ru" })).id;
  });
  afterEach(() => {
    process.env = { ...savedEnv };
  });
  afterAll(async () => {
    setRuntime(undefined);
    await handle.close();
    await fs.promises.rm(dataDir, { recursive: true, force: true });
  });

  it("redeems a token: 303 to / with a session cookie the API accepts; a second post gets none", async () => {
    Object.assign(process.env, {
      TELEGRAM_BOT_TOKEN: "777000:KADR-test-token",
      KADR_SESSION_SECRET: "login-link-test-session-secret",
    });
    const token = await newToken();
    const response = await post(form(token));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^kadr_session=[\w-]+\.[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax$/);

    const me = await getMe(
      new Request(`${ORIGIN}/api/v1/auth/me`, {
        headers: { host: "127.0.0.1:3210", cookie: cookie.split(";")[0]! },
      }),
      { params: Promise.resolve({}) },
    );
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { id: userId, displayName: "Mira" }, method: "session" });

    const again = await post(form(token));
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(`/login?token=${token}`);
    expect(again.headers.get("set-cookie")).toBeNull();
  });

  it("sends a forged token back to the sign-in page without a cookie; marks the cookie Secure over https", async () => {
    const forged = await post(form("not-a-token/<script>"));
    expect(forged.status).toBe(303);
    expect(forged.headers.get("location")).toBe(`/login?token=${encodeURIComponent("not-a-token/<script>")}`);
    expect(forged.headers.get("set-cookie")).toBeNull();

    const secure = await post(form(await newToken()), { "x-forwarded-proto": "https" });
    expect(secure.status).toBe(303);
    expect(secure.headers.get("set-cookie")).toMatch(/; Secure$/);
  });

  it("refuses cross-site posts (login CSRF), a missing field and a non-form body, leaving the token unspent", async () => {
    const token = await newToken();
    const crossSite = await post(form(token), { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const foreignOrigin = await post(form(token), { origin: "https://evil.example", "sec-fetch-site": "" });
    expect(foreignOrigin.status).toBe(403);
    expect(await foreignOrigin.json()).toEqual({
      code: "forbidden",
      message: "Cross-site requests are not allowed",
    });

    const missing = await post(new URLSearchParams({ other: "x" }));
    expect(missing.status).toBe(422);
    expect((await missing.json()).message).toMatch(/^token: /);
    const json = await post(JSON.stringify({ token }), { "content-type": "application/json" });
    expect(json.status).toBe(400);

    const ok = await post(form(token));
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/");
  });
});
