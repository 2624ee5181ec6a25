/**
 * The one wrapper every API route handler goes through. It resolves what a handler needs (the
 * studio services' dependencies and the acting owner), parses the JSON body with a zod schema when
 * one is given, and turns every thrown error into a JSON error response `{ code, message }`:
 *
 * - `AppError`  → its own status (`HTTP_STATUS[code]`) and message;
 * - `ZodError`  → 422 `{ code: "bad_input" }`, one line per issue (`path: message`);
 * - anything else → 500 `{ code: "internal", message: "Internal error" }`, the cause logged.
 *
 * Framework-free: only the standard Request/Response; the Next.js route files export the result.
 */
import { ZodError, type z } from "zod";
import { AppError } from "@/lib/errors";
import type { StudioDeps } from "@/lib/studio/jobs";

/** What a request runs against: the services' dependencies and the user it acts for. */
export interface RouteEnv {
  deps: StudioDeps;
  /** Id of the acting user (the local owner until Telegram auth exists). */
  ownerId: string;
}

/** What a handler receives: the request, its route params, the env and the parsed body. */
export interface RouteContext<Params, Body> extends RouteEnv {
  request: Request;
  params: Params;
  /** The JSON body parsed by `options.body`; `undefined` when no schema was given. */
  body: Body;
}

/** The error payload of every non-2xx JSON response. */
export interface ErrorBody {
  code: string;
  message: string;
}

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

/**
 * Wraps `handler` into a route handler with error mapping, env resolution and body parsing.
 * @param handler returns the Response to send (use `Response.json`); it may throw anything.
 * @returns a function with the Next.js route handler signature that never throws.
 */
export function withRoute<
  Params = Record<string, never>,
  BodySchema extends z.ZodType | undefined = undefined,
>(
  handler: (
    context: RouteContext<Params, BodySchema extends z.ZodType ? z.output<BodySchema> : undefined>,
  ) => Promise<Response>,
  options: RouteOptions<BodySchema> = {},
): NextRouteHandler<Params> {
  return async (request, { params }) => {
    try {
      const env = await (options.env ?? defaultEnv)();
      const body = options.body ? options.body.parse(await readJson(request)) : undefined;
      return await handler({ ...env, request, params: await params, body: body as never });
    } catch (err) {
      return errorResponse(err);
    }
  };
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
