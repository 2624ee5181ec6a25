import { AppError } from "@/lib/errors";

/**
 * A limit was hit: HTTP 429 (`rate_limited`). The message is for people (bot and UI show it as is);
 * `retryAfterSeconds` goes into the `Retry-After` header.
 */
export class RateLimitedError extends AppError {
  override name = "RateLimitedError";
  constructor(
    message: string,
    /** Whole seconds to wait before trying again (≥ 1). */
    readonly retryAfterSeconds: number,
  ) {
    super("rate_limited", message);
  }
}

/** "45 seconds", "1 minute", "13 minutes" (rounded up to whole minutes from 60 s on). */
export function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}
