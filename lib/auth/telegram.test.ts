import { sign } from "@tma.js/init-data-node";
import { describe, expect, it } from "vitest";
import { signLoginWidget, verifyInitData, verifyLoginWidget } from "./telegram";

const BOT_TOKEN = "123456:TEST-bot-token_for-kadr";
const user = { id: 4242, first_name: "Anna", last_name: "K", username: "anna", language_code: "ru" };

function initData(authDate: Date, extra: Record<string, unknown> = {}, token = BOT_TOKEN): string {
  return sign({ user, query_id: "AAH", start_param: "job_123", ...extra } as never, token, authDate);
}

describe("verifyInitData", () => {
  it("answers the user and the start param of fresh, correctly signed data", () => {
    const verified = verifyInitData(initData(new Date()), BOT_TOKEN, 3600);
    expect(verified.user).toEqual({
      id: 4242,
      firstName: "Anna",
      lastName: "K",
      username: "anna",
      languageCode: "ru",
    });
    expect(verified.startParam).toBe("job_123");
  });

  it("rejects tampered data, another bot's data and data without a hash", () => {
    const raw = initData(new Date());
    const tampered = raw.replace(encodeURIComponent('"id":4242'), encodeURIComponent('"id":4243'));
    expect(tampered).not.toBe(raw);
    expect(() => verifyInitData(tampered, BOT_TOKEN, 3600)).toThrow(/not signed by this bot/);
    expect(() => verifyInitData(initData(new Date(), {}, "999:other"), BOT_TOKEN, 3600)).toThrow(
      /not signed/,
    );
    expect(() => verifyInitData(raw.replace(/&?hash=[0-9a-f]+/, ""), BOT_TOKEN, 3600)).toThrow(/not signed/);
  });

  it("rejects data older than the maximum age with its own message", () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    expect(() => verifyInitData(initData(twoHoursAgo), BOT_TOKEN, 3600)).toThrow(/expired/);
    expect(verifyInitData(initData(twoHoursAgo), BOT_TOKEN, 3 * 3600).user.id).toBe(4242);
  });

  it("maps every failure to AppError(unauthorized)", () => {
    expect(() => verifyInitData("garbage", BOT_TOKEN, 60)).toThrowError(
      expect.objectContaining({ code: "unauthorized" }),
    );
  });
});

describe("verifyLoginWidget", () => {
  const NOW = 1_800_000_000;
  const fields = { id: 4242, first_name: "Anna", username: "anna", auth_date: NOW - 60 };

  it("accepts data hashed with SHA256(bot token) and answers the user", () => {
    const signed = signLoginWidget(fields, BOT_TOKEN);
    expect(verifyLoginWidget(signed, BOT_TOKEN, 86_400, NOW)).toEqual({
      id: 4242,
      firstName: "Anna",
      lastName: undefined,
      username: "anna",
    });
    // Numbers sent as strings (the auth URL's query) check the same.
    const asStrings = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k, String(v)]));
    expect(verifyLoginWidget(asStrings, BOT_TOKEN, 86_400, NOW).id).toBe(4242);
  });

  it("rejects a wrong hash, changed fields, another bot's hash and the Mini App key scheme", () => {
    const signed = signLoginWidget(fields, BOT_TOKEN);
    expect(() => verifyLoginWidget({ ...signed, hash: "0".repeat(64) }, BOT_TOKEN, 86_400, NOW)).toThrow(
      /not signed/,
    );
    expect(() => verifyLoginWidget({ ...signed, id: 1 }, BOT_TOKEN, 86_400, NOW)).toThrow(/not signed/);
    expect(() => verifyLoginWidget(signLoginWidget(fields, "999:other"), BOT_TOKEN, 86_400, NOW)).toThrow(
      /not signed/,
    );
    expect(() => verifyLoginWidget({ id: 1 }, BOT_TOKEN, 86_400, NOW)).toThrow(/malformed/);
  });

  it("rejects a stale auth_date", () => {
    const signed = signLoginWidget({ ...fields, auth_date: NOW - 90_000 }, BOT_TOKEN);
    expect(() => verifyLoginWidget(signed, BOT_TOKEN, 86_400, NOW)).toThrow(/expired/);
  });
});
