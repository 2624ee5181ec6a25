import { describe, expect, it } from "vitest";
import {
  clearedSessionCookie,
  issueSession,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
  verifySession,
} from "./session";

const secret = Buffer.from("a-test-secret-of-enough-length");
const NOW = 1_800_000_000;

describe("sessions", () => {
  it("verifies its own tokens until they expire", () => {
    const session = issueSession("user-1", secret, 3600, NOW);
    expect(session.expiresAt).toBe(NOW + 3600);
    expect(verifySession(session.token, secret, NOW + 10)).toEqual({
      userId: "user-1",
      issuedAt: NOW,
      expiresAt: NOW + 3600,
    });
    expect(verifySession(session.token, secret, NOW + 3600)).toBeNull();
  });

  it("rejects tokens signed with another secret, tampered payloads and garbage", () => {
    const session = issueSession("user-1", secret, 3600, NOW);
    expect(verifySession(session.token, Buffer.from("another-secret-entirely!!"), NOW)).toBeNull();
    const [, mac] = session.token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "admin", iat: NOW, exp: NOW + 3600 })).toString(
      "base64url",
    );
    expect(verifySession(`${forged}.${mac}`, secret, NOW)).toBeNull();
    for (const garbage of ["", "abc", "a.b.c", `${session.token}x`, "e30.e30"]) {
      expect(verifySession(garbage, secret, NOW)).toBeNull();
    }
  });

  it("builds an HttpOnly SameSite=Lax cookie, Secure only on https, and reads it back", () => {
    const session = issueSession("user-1", secret, 600, NOW);
    const cookie = sessionCookie(session, false, NOW);
    expect(cookie).toBe(`${SESSION_COOKIE}=${session.token}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax`);
    expect(sessionCookie(session, true, NOW)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toContain("Max-Age=0");
    expect(readCookie(`a=1; ${SESSION_COOKIE}=${session.token}; b=2`, SESSION_COOKIE)).toBe(session.token);
    expect(readCookie("a=1", SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(null, SESSION_COOKIE)).toBeUndefined();
  });
});
