/**
 * One application error class with a typed code. HTTP handlers map `code` to a status with
 * `HTTP_STATUS`; the CLI maps `bad_input`-like codes to exit code 2.
 */
export const HTTP_STATUS = {
  /** The request is malformed or a value is out of range. */
  bad_input: 400,
  /** No valid credentials. */
  unauthorized: 401,
  /** A one-time sign-in link whose token Kadr never issued (or pruned long ago). */
  login_link_unknown: 401,
  /** A one-time sign-in link that was already redeemed. */
  login_link_used: 401,
  /** A one-time sign-in link past its expiry. */
  login_link_expired: 401,
  /** Authenticated but not allowed. */
  forbidden: 403,
  /** Not enough credits for the action; the message names the amount needed and the top-up. */
  insufficient_credits: 402,
  /** The resource does not exist, or belongs to someone else. */
  not_found: 404,
  /** The resource is not in a state that allows this action (e.g. approving a finished job). */
  conflict: 409,
  /** Upload too large. */
  too_large: 413,
  /** Rate limit hit. */
  rate_limited: 429,
  /** Unexpected failure; details are logged, not returned. */
  internal: 500,
} as const;

export type ErrorCode = keyof typeof HTTP_STATUS;

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

/** True for errors caused by the caller's input (HTTP 4xx, CLI exit code 2). */
export function isClientError(err: unknown): err is AppError {
  return err instanceof AppError && err.status < 500;
}
