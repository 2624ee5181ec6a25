import { NonRetriableError, RetryAfterError } from "inngest";
import { describe, expect, it } from "vitest";
import { classifyHttpFailure, ProviderError, retryAfterSecondsFrom, toInngestError } from "./errors";

describe("retryAfterSecondsFrom", () => {
  it("prefers retry-after-ms, then retry-after seconds or HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterSecondsFrom(new Headers({ "retry-after-ms": "1500", "retry-after": "9" }), now)).toBe(
      1.5,
    );
    expect(retryAfterSecondsFrom({ "Retry-After": "9" }, now)).toBe(9);
    expect(retryAfterSecondsFrom({ "retry-after": ["4", "5"] }, now)).toBe(4);
    expect(retryAfterSecondsFrom({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }, now)).toBe(30);
    expect(retryAfterSecondsFrom({ "retry-after": "Wed, 31 Dec 2025 00:00:00 GMT" }, now)).toBeUndefined();
    expect(retryAfterSecondsFrom({ "retry-after": "0" }, now)).toBeUndefined();
    expect(retryAfterSecondsFrom({}, now)).toBeUndefined();
  });
});

describe("classifyHttpFailure", () => {
  const base = { provider: "Runway", setting: "RUNWAYML_API_SECRET", reason: "details", code: "bad_key" };
  it.each([
    [401, "auth", "Runway refused Kadr's access (HTTP 401): bad_key; check RUNWAYML_API_SECRET"],
    [403, "auth", "Runway refused Kadr's access (HTTP 403): bad_key; check RUNWAYML_API_SECRET"],
    [429, "retriable", "Runway is temporarily unavailable (HTTP 429): details; retry in 2 s"],
    [503, "retriable", "Runway is temporarily unavailable (HTTP 503): details; retry in 2 s"],
    [400, "invalid", "Runway rejected the request (HTTP 400): details"],
    [422, "invalid", "Runway rejected the request (HTTP 422): details"],
  ])("HTTP %i → %s", (status, kind, message) => {
    const error = classifyHttpFailure({ ...base, status, headers: { "retry-after": "2" } });
    expect(error).toMatchObject({ kind, status, message });
  });
});

describe("toInngestError", () => {
  it("turns retriable errors into RetryAfterError with the provider's hint (default 30 s)", () => {
    const hinted = toInngestError(
      new ProviderError({ kind: "retriable", provider: "OpenAI", status: 429, retryAfterSeconds: 2.5 }),
    );
    expect(hinted).toBeInstanceOf(RetryAfterError);
    expect((hinted as RetryAfterError).retryAfter).toBe("3");
    expect((hinted as RetryAfterError).message).toBe(
      "OpenAI is temporarily unavailable (HTTP 429); retry in 3 s",
    );
    const unhinted = toInngestError(
      new ProviderError({ kind: "retriable", provider: "fal" }),
    ) as RetryAfterError;
    expect(unhinted.retryAfter).toBe("30");
  });

  it.each(["auth", "invalid", "safety"] as const)(
    "turns %s errors into NonRetriableError with the same message",
    (kind) => {
      const error = new ProviderError({
        kind,
        provider: "Runway",
        setting: "RUNWAYML_API_SECRET",
        reason: "SAFETY.INPUT.TEXT",
      });
      const mapped = toInngestError(error);
      expect(mapped).toBeInstanceOf(NonRetriableError);
      expect((mapped as NonRetriableError).message).toBe(error.message);
      expect((mapped as NonRetriableError).cause).toBe(error);
    },
  );

  it("leaves other errors alone", () => {
    const error = new RangeError("segmentCount must be ≥ 1");
    expect(toInngestError(error)).toBe(error);
  });
});
