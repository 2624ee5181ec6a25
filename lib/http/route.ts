/**
 * The wrappers every API route handler goes through. They resolve what a handler needs (the
 * studio services' dependencies, the blob store, the auth context), authenticate the caller
 * (`withRoute`; `withPublicRoute` skips it for the sign-in routes), parse the JSON body with a zod
 * schema when one is given, and turn every thrown error into a JSON error response
 * `{ code, message }`:
 *
 * - `AppError`  → its own status (`HTTP_STATUS[code]`) and message;
 * - `ZodError`  → 422 `{ code: "bad_input" }`, one line per issue (`path: message`);
 * - anything else → 500 `{ code: "internal", message: "Internal error" }`, the cause logged.
 *
 * A session issued or renewed while authenticating is attached to the response as the session
 * cookie and as `X-Kadr-Session` (for bearer clients such as the Mini App).
 *
 * Framework-free: only the standard Request/Response; the Next.js route files export the result.
 */
import { ZodError, type z } from "zod";
import { type AuthContext, assertSameOrigin, authenticate, type Principal } from "@/lib/auth/authenticate";
import { type IssuedSession, sessionCookie } from "@/lib/auth/session";
import { InsufficientCreditsError } from "@/lib/credits/ledger";
import { AppError } from "@/lib/errors";
import type { TokenBucketLimiter } from "@/lib/limits/ip-limiter";
import { RateLimitedError } from "@/lib/limits/rate-limited-error";
import type { BlobStore } from "@/lib/storage";
import type { StudioDeps } from "@/lib/studio/jobs";

/** What a request runs against: the services' dependencies, the blob store and the auth context. */
export interface RouteEnv {
  deps: StudioDeps;
  store: BlobStore;
  auth: AuthContext;
  /**
   * Per-IP limit on state-changing requests (POST, PUT, PATCH, DELETE), keyed by `clientAddress`;
   * absent = no limit. Reads are not limited (a storyboard grid loads dozens of images at once).
   */
  writeLimiter?: TokenBucketLimiter;
}

/** What a public handler receives: the request, its route params, the env and the parsed body. */
export interface PublicRouteContext<Params, Body> extends RouteEnv {
  request: Request;
  params: Params;
  /** The JSON body parsed by `options.body`; `undefined` when no schema was given. */
  body: Body;
}

/** What an authenticated handler receives: the public context plus the caller. */
export interface RouteContext<Params, Body> extends PublicRouteContext<Params, Body> {
  /** Id of the authenticated user; services get it to scope every job lookup. */
  ownerId: string;
  principal: Principal;
}

/** The error payload of every non-2xx JSON response. */
export interface ErrorBody {
  code: string;
  message: string;
}

/** Options of both wrappers. */
export interface RouteOptions<BodySchema extends z.ZodType | undefined> {
  /** Schema of the JSON body; a body that fails it answers 422, one that is not JSON answers 400. */
  body?: BodySchema;
  /** Resolves the env; defaults to the process runtime (`lib/http/route-env.ts`). Tests pass their own. */
  env?: () => Promise<RouteEnv>;
}

/** The signature Next.js calls a route handler with (`params` is a promise since Next 15). */
export type NextRouteHandler<Params> = (
  request: Request,
  context: { params: Promise<Params> },
) => Promise<Response>;

type BodyOf<BodySchema> = BodySchema extends z.ZodType ? z.output<BodySchema> : undefined;

/**
 * Wraps `handler` into an authenticated route handler: env resolution, authentication (401 when
 * it fails; 403 for cross-site state changes made with cookies or local mode), body parsing and
 * error mapping.
 * @param handler returns the Response to send (use `Response.json`); it may throw anything.
 * @returns a function with the Next.js route handler signature that never throws.
 */
export function withRoute<
  Params = Record<string, never>,
  BodySchema extends z.ZodType | undefined = undefined,
>(
  handler: (context: RouteContext<Params, BodyOf<BodySchema>>) => Promise<Response>,
  options: RouteOptions<BodySchema> = {},
): NextRouteHandler<Params> {
  return async (request, { params }) => {
    let issued: IssuedSession | undefined;
    try {
      const env = await (options.env ?? defaultEnv)();
      limitWrites(request, env);
      const principal = await authenticate(request, env.auth);
      assertSameOrigin(request, principal);
      issued = principal.issuedSession;
      const body = options.body ? options.body.parse(await readJson(request)) : undefined;
      const response = await handler({
        ...env,
        request,
        params: await params,
        body: body as never,
        ownerId: principal.userId,
        principal,
      });
      return issued ? withSession(response, issued, request) : response;
    } catch (err) {
      const response = errorResponse(err);
      return issued ? withSession(response, issued, request) : response;
    }
  };
}

/**
 * Wraps `handler` into a route handler without authentication (the sign-in routes): env
 * resolution, body parsing and error mapping only.
 */
export function withPublicRoute<
  Params = Record<string, never>,
  BodySchema extends z.ZodType | undefined = undefined,
>(
  handler: (context: PublicRouteContext<Params, BodyOf<BodySchema>>) => Promise<Response>,
  options: RouteOptions<BodySchema> = {},
): NextRouteHandler<Params> {
  return async (request, { params }) => {
    try {
      const env = await (options.env ?? defaultEnv)();
      limitWrites(request, env);
      const body = options.body ? options.body.parse(await readJson(request)) : undefined;
      return await handler({ ...env, request, params: await params, body: body as never });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The client's address: the first entry of `X-Forwarded-For` (set by Next.js' server and by
 * proxies in front of it), else `X-Real-IP`, else "unknown".
 */
export function clientAddress(request: Request): string {
  const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || request.headers.get("x-real-ip")?.trim() || "unknown";
}

/** @throws RateLimitedError when a state-changing request exceeds its address's limit. */
function limitWrites(request: Request, env: RouteEnv) {
  if (env.writeLimiter && WRITE_METHODS.has(request.method))
    env.writeLimiter.assertAllowed(clientAddress(request));
}

/** True when the request reached the app over https (directly or behind a TLS proxy). */
export function isSecureRequest(request: Request): boolean {
  const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return proto ? proto === "https" : new URL(request.url).protocol === "https:";
}

/**
 * Attaches a session to a response: `Set-Cookie` (the session cookie) and `X-Kadr-Session`
 * (the token, for clients that send it as a bearer token). Returns the same response.
 */
export function withSession(response: Response, session: IssuedSession, request: Request): Response {
  response.headers.append("Set-Cookie", sessionCookie(session, isSecureRequest(request)));
  response.headers.set("X-Kadr-Session", session.token);
  return response;
}

/** The process env, imported lazily so that importing this module (tests) loads no runtime or client. */
async function defaultEnv(): Promise<RouteEnv> {
  const { getRouteEnv } = await import("./route-env");
  return getRouteEnv();
}

/**
 * Reads a request body as JSON; an empty body reads as `{}`.
 * @throws AppError("bad_input") when the body is not valid JSON.
 */
export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("bad_input", "The request body is not valid JSON");
  }
}

/** Maps any thrown value to a JSON error response (see the module docs for the mapping). */
export function errorResponse(err: unknown): Response {
  if (err instanceof RateLimitedError) {
    return Response.json(
      { code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds },
      {
        status: err.status,
        headers: { "Retry-After": String(err.retryAfterSeconds) },
      },
    );
  }
  if (err instanceof InsufficientCreditsError) {
    const { code, message, needed, balance, shortfall } = err;
    return Response.json({ code, message, needed, balance, shortfall }, { status: err.status });
  }
  if (err instanceof AppError) {
    return Response.json({ code: err.code, message: err.message } satisfies ErrorBody, {
      status: err.status,
    });
  }
  if (err instanceof ZodError) {
    return Response.json({ code: "bad_input", message: describeIssues(err) } satisfies ErrorBody, {
      status: 422,
    });
  }
  console.error("Unhandled error in API route:", err);
  return Response.json({ code: "internal", message: "Internal error" } satisfies ErrorBody, { status: 500 });
}

/** One line per issue: `path: message`, or just the message for issues about the whole value. */
function describeIssues(error: ZodError): string {
  return error.issues
    .map((issue) =>
      issue.path.length ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message,
    )
    .join("\n");
}
