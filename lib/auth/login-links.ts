/**
 * One-time dashboard sign-in links, the second way into the browser dashboard besides the Login
 * Widget: the bot answers /login with `${PUBLIC_URL}/login?token=<token>`, the page there shows a
 * [Continue] button, and its POST (`/api/v1/auth/login-link`) redeems the token for a session.
 *
 * - A token is 32 random bytes as base64url (43 characters). Only its SHA-256 is stored
 *   (`login_tokens.token_hash`), with the user, the creation and expiry instants and `used_at`.
 * - Redeeming is one `UPDATE … SET used_at = now WHERE token_hash = … AND used_at IS NULL AND
 *   expires_at > now RETURNING user_id`: under concurrent redeems of one token exactly one gets the
 *   row (PostgreSQL re-checks the WHERE after waiting for the first writer's row lock), every other
 *   sees it used.
 * - A new /login leaves the user's earlier unexpired links valid. Revoking them would protect
 *   nothing — whoever can read the chat can send /login too — and would break the older button a
 *   user taps first. Each link still works once and expires (KADR_LOGIN_LINK_TTL, 10 minutes).
 * - Links are https only (`loginLinksEnabled`): the token must not travel in clear text, and
 *   Telegram refuses URL buttons to local addresses anyway.
 * - Rows are deleted a day after they expire (when a new link is issued), so a late tap on an old
 *   button still says "expired" or "already used" rather than "unknown".
 */
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { loginTokens, users } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";

/** Path of the sign-in page under PUBLIC_URL. */
export const LOGIN_PATH = "/login";
/** Default lifetime of a link, seconds (KADR_LOGIN_LINK_TTL). */
export const DEFAULT_LOGIN_LINK_TTL_SECONDS = 600;
/** Random bytes per token. */
export const LOGIN_TOKEN_BYTES = 32;
/** The shape of a token: 32 bytes as unpadded base64url. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** How long used and expired rows are kept after expiry, ms. */
const PRUNE_AFTER_MS = 24 * 3600 * 1000;

/** A link handed to the user. */
export interface LoginLink {
  /** `${publicUrl}/login?token=<token>`. */
  url: string;
  expiresAt: Date;
}

/** Why a token does not sign in; each is an AppError code answered with 401. */
export type LoginLinkFailure = "login_link_unknown" | "login_link_used" | "login_link_expired";

/** What a token stands for right now, without redeeming it (the sign-in page shows it). */
export type LoginTokenState =
  | {
      state: "valid";
      userId: string;
      displayName: string;
      /** "ru" | "en": the user's language. */
      language: string;
      expiresAt: Date;
    }
  | { state: LoginLinkFailure; language?: string };

const FAILURE_MESSAGES: Record<LoginLinkFailure, string> = {
  login_link_unknown: "This sign-in link is not valid: send /login to the bot for a new one",
  login_link_used: "This sign-in link was already used: send /login to the bot for a new one",
  login_link_expired: "This sign-in link has expired: send /login to the bot for a new one",
};

/** True when `publicUrl` is an https origin, the only kind links are issued for. */
export function loginLinksEnabled(publicUrl: string | undefined): publicUrl is string {
  return publicUrl?.startsWith("https://") ?? false;
}

/** Lowercase hex SHA-256 of a token's text: the only form a token is stored in. */
export function hashLoginToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Issues a one-time sign-in link for `userId` and prunes rows that expired over a day ago.
 * @param publicUrl https origin without a trailing slash, e.g. "https://kadr.example".
 * @param now the issue instant (defaults to the clock).
 * @param ttlSeconds lifetime in seconds (> 0; default 600).
 * @throws AppError("conflict") when `publicUrl` is not https (see `loginLinksEnabled`).
 */
export async function issueLoginLink(
  db: Db,
  userId: string,
  publicUrl: string | undefined,
  now: Date = new Date(),
  ttlSeconds: number = DEFAULT_LOGIN_LINK_TTL_SECONDS,
): Promise<LoginLink> {
  if (!loginLinksEnabled(publicUrl)) {
    throw new AppError("conflict", "Sign-in links need an https PUBLIC_URL");
  }
  const token = randomBytes(LOGIN_TOKEN_BYTES).toString("base64url");
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await db.delete(loginTokens).where(lt(loginTokens.expiresAt, new Date(now.getTime() - PRUNE_AFTER_MS)));
  await db
    .insert(loginTokens)
    .values({ tokenHash: hashLoginToken(token), userId, createdAt: now, expiresAt });
  return { url: `${publicUrl}${LOGIN_PATH}?token=${token}`, expiresAt };
}

/**
 * Redeems a token: marks it used and answers whom it signs in. Exactly one of any number of
 * concurrent redeems of one token succeeds.
 * @param now the redeem instant (defaults to the clock); a token expires when `now ≥ expiresAt`.
 * @returns the user id.
 * @throws AppError with code `login_link_unknown` (malformed, forged or pruned), `login_link_used`
 *   or `login_link_expired` — all 401 — and a message that says to send /login again.
 */
export async function redeemLoginToken(db: Db, token: string, now: Date = new Date()): Promise<string> {
  if (TOKEN_PATTERN.test(token)) {
    const [row] = await db
      .update(loginTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(loginTokens.tokenHash, hashLoginToken(token)),
          isNull(loginTokens.usedAt),
          gt(loginTokens.expiresAt, now),
        ),
      )
      .returning({ userId: loginTokens.userId });
    if (row) return row.userId;
  }
  const inspected = await inspectLoginToken(db, token, now);
  // A valid state here means the token expired or was used between the two statements' clocks.
  throw loginLinkError(inspected.state === "valid" ? "login_link_used" : inspected.state);
}

/**
 * What a token stands for at `now`, without redeeming it: the sign-in page uses it to greet the
 * user by name in their language, or to say why the link no longer works.
 */
export async function inspectLoginToken(
  db: Db,
  token: string,
  now: Date = new Date(),
): Promise<LoginTokenState> {
  if (!TOKEN_PATTERN.test(token)) return { state: "login_link_unknown" };
  const [row] = await db
    .select({
      userId: loginTokens.userId,
      expiresAt: loginTokens.expiresAt,
      usedAt: loginTokens.usedAt,
      displayName: users.displayName,
      language: users.language,
    })
    .from(loginTokens)
    .innerJoin(users, eq(users.id, loginTokens.userId))
    .where(eq(loginTokens.tokenHash, hashLoginToken(token)));
  if (!row) return { state: "login_link_unknown" };
  if (row.usedAt) return { state: "login_link_used", language: row.language };
  if (row.expiresAt.getTime() <= now.getTime())
    return { state: "login_link_expired", language: row.language };
  const { userId, displayName, language, expiresAt } = row;
  return { state: "valid", userId, displayName, language, expiresAt };
}

/** The AppError (401) of a failed redeem. */
export function loginLinkError(failure: LoginLinkFailure): AppError {
  return new AppError(failure, FAILURE_MESSAGES[failure]);
}
