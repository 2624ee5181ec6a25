/**
 * Per-IP rate limiting for the public API: an in-memory token bucket per key (client IP). Each
 * bucket holds up to `capacity` tokens and refills `refillPerSecond` tokens per second; a request
 * takes one. Per process: with several app instances each enforces its own share.
 */
import { describeWait, RateLimitedError } from "./rate-limited-error";

export interface TokenBucketOptions {
  /** Burst size: tokens a full bucket holds. */
  capacity: number;
  /** Sustained rate: tokens added per second. */
  refillPerSecond: number;
  /** Clock in milliseconds (tests inject one); default `Date.now`. */
  now?: () => number;
  /** Buckets kept at most; the least recently used are dropped beyond it. Default 10 000. */
  maxKeys?: number;
}

/** The outcome of taking tokens: allowed with what is left, or refused with the wait. */
export type TakeResult = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Token buckets keyed by client (IP address). */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  /** @throws RangeError for a capacity < 1 or a non-positive refill rate. */
  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.capacity >= 1) || !(options.refillPerSecond > 0)) {
      throw new RangeError("A token bucket needs capacity >= 1 and refillPerSecond > 0");
    }
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Takes `cost` tokens from `key`'s bucket if it has them.
   * @returns allowed with the whole tokens left, or refused with the seconds until enough refill.
   */
  take(key: string, cost = 1): TakeResult {
    const now = this.now();
    const bucket = this.refilled(key, now);
    // Re-insert so the Map's order is least recently used first.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    this.evictBeyondMax();
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((cost - bucket.tokens) / this.options.refillPerSecond));
    return { allowed: false, retryAfterSeconds };
  }

  /**
   * Takes a token for a request from `key`.
   * @throws RateLimitedError (429) with `retryAfterSeconds` and a human message when refused.
   */
  assertAllowed(key: string): void {
    const result = this.take(key);
    if (!result.allowed) {
      throw new RateLimitedError(
        `Too many requests from your address. Try again in ${describeWait(result.retryAfterSeconds)}.`,
        result.retryAfterSeconds,
      );
    }
  }

  private refilled(key: string, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.options.capacity, updatedAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    return {
      tokens: Math.min(this.options.capacity, bucket.tokens + elapsedSeconds * this.options.refillPerSecond),
      updatedAt: now,
    };
  }

  private evictBeyondMax() {
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) return;
      this.buckets.delete(key);
    }
  }

  /** Number of buckets held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }
}
