import { describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "./ip-limiter";
import { RateLimitedError } from "./rate-limited-error";

function limiterWithClock(options: { capacity: number; refillPerSecond: number; maxKeys?: number }) {
  const clock = { ms: 1_000_000 };
  const limiter = new TokenBucketLimiter({ ...options, now: () => clock.ms });
  return { limiter, clock };
}

describe("per-IP token bucket", () => {
  it("allows a burst of `capacity`, then refuses until a token has refilled", () => {
    const { limiter, clock } = limiterWithClock({ capacity: 3, refillPerSecond: 0.5 });
    expect([1, 2, 3].map(() => limiter.take("1.2.3.4"))).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
    ]);
    expect(limiter.take("1.2.3.4")).toEqual({ allowed: false, retryAfterSeconds: 2 });
    clock.ms += 1500;
    expect(limiter.take("1.2.3.4")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.ms += 500;
    expect(limiter.take("1.2.3.4")).toEqual({ allowed: true, remaining: 0 });
    expect(limiter.take("5.6.7.8")).toEqual({ allowed: true, remaining: 2 });
  });

  it("refills up to capacity only", () => {
    const { limiter, clock } = limiterWithClock({ capacity: 2, refillPerSecond: 10 });
    limiter.take("ip");
    clock.ms += 3_600_000;
    expect(limiter.take("ip")).toEqual({ allowed: true, remaining: 1 });
  });

  it("throws a 429 with Retry-After seconds and a human message", () => {
    const { limiter } = limiterWithClock({ capacity: 1, refillPerSecond: 1 / 90 });
    limiter.assertAllowed("ip");
    const error = (() => {
      try {
        limiter.assertAllowed("ip");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({
      status: 429,
      retryAfterSeconds: 90,
      message: "Too many requests from your address. Try again in 2 minutes.",
    });
  });

  it("keeps at most maxKeys buckets, dropping the least recently used", () => {
    const { limiter } = limiterWithClock({ capacity: 1, refillPerSecond: 0.001, maxKeys: 2 });
    limiter.take("a");
    limiter.take("b");
    limiter.take("a");
    limiter.take("c");
    expect(limiter.size).toBe(2);
    expect(limiter.take("a")).toMatchObject({ allowed: false });
    expect(limiter.take("b")).toEqual({ allowed: true, remaining: 0 });
  });

  it("rejects a bucket that could never allow anything", () => {
    expect(() => new TokenBucketLimiter({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});
