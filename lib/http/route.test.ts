import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { loadAuthConfig } from "@/lib/auth/config";
import type { Db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import type { BlobStore } from "@/lib/storage";
import { type RouteEnv, withRoute } from "./route";

const sent: unknown[] = [];
/** Local mode (no bot token): loopback requests act as "owner-1". */
const env: RouteEnv = {
  deps: { db: {} as Db, sendEvent: async (event) => sent.push(event) },
  store: {} as BlobStore,
  auth: { db: {} as Db, config: loadAuthConfig({}), localOwnerId: async () => "owner-1" },
};
const testEnv = async () => env;
const noParams = { params: Promise.resolve({}) };

function post(body: string): Request {
  return new Request("http://127.0.0.1/api", {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
}

afterEach(() => {
  vi.restoreAllMocks();
  sent.length = 0;
});

describe("withRoute", () => {
  it("hands the handler the request, awaited params, deps and owner, and returns its response", async () => {
    const route = withRoute<{ id: string }>(
      async ({ request, params, deps, ownerId, body }) => {
        await deps.sendEvent({ name: "test/ping", data: {} });
        return Response.json(
          { url: request.url, id: params.id, ownerId, body: body ?? null },
          { status: 201 },
        );
      },
      { env: testEnv },
    );
    const response = await route(new Request("http://127.0.0.1/api/jobs/abc"), {
      params: Promise.resolve({ id: "abc" }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      url: "http://127.0.0.1/api/jobs/abc",
      id: "abc",
      ownerId: "owner-1",
      body: null,
    });
    expect(sent).toEqual([{ name: "test/ping", data: {} }]);
  });

  it("parses the JSON body with the given schema", async () => {
    const route = withRoute(async ({ body }) => Response.json({ doubled: body.n * 2 }), {
      body: z.object({ n: z.number() }),
      env: testEnv,
    });
    const response = await route(post('{"n": 21}'), noParams);
    expect(await response.json()).toEqual({ doubled: 42 });
  });

  it.each([
    ["not_found", 404],
    ["conflict", 409],
    ["bad_input", 400],
  ] as const)("maps AppError(%s) to %i with its code and message", async (code, status) => {
    const route = withRoute(
      async () => {
        throw new AppError(code, `went ${code}`);
      },
      { env: testEnv },
    );
    const response = await route(new Request("http://127.0.0.1/api"), noParams);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({ code, message: `went ${code}` });
  });

  it("answers 422 bad_input for a body failing its schema, one line per issue", async () => {
    const handler = vi.fn(async () => new Response("unreachable"));
    const route = withRoute(handler, {
      body: z.object({ gate: z.enum(["script", "images"]), count: z.number().int() }),
      env: testEnv,
    });
    const response = await route(post('{"gate": "nope", "count": 1.5}'), noParams);
    expect(response.status).toBe(422);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe("bad_input");
    const lines = body.message.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^gate: /);
    expect(lines[1]).toMatch(/^count: /);
    expect(handler).not.toHaveBeenCalled();
  });

  it("maps a ZodError thrown inside the handler to 422 too", async () => {
    const route = withRoute(
      async () => {
        z.string().min(3, "too short").parse("ab");
        return new Response("unreachable");
      },
      { env: testEnv },
    );
    const response = await route(new Request("http://127.0.0.1/api"), noParams);
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ code: "bad_input", message: "too short" });
  });

  it("answers 400 for a body that is not JSON, and reads an empty body as {}", async () => {
    const route = withRoute(async ({ body }) => Response.json(body), {
      body: z.object({ topic: z.string().optional() }),
      env: testEnv,
    });
    const broken = await route(post("{topic:"), noParams);
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ code: "bad_input", message: "The request body is not valid JSON" });
    const empty = await route(post(""), noParams);
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({});
  });

  it("hides unexpected errors behind 500 internal and logs the cause", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const cause = new Error("database password is hunter2");
    const route = withRoute(
      async () => {
        throw cause;
      },
      { env: testEnv },
    );
    const response = await route(new Request("http://127.0.0.1/api"), noParams);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ code: "internal", message: "Internal error" });
    expect(log).toHaveBeenCalledWith(expect.any(String), cause);
  });

  it("answers 500 when the env cannot be resolved", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const handler = vi.fn(async () => new Response("unreachable"));
    const route = withRoute(handler, {
      env: async () => {
        throw new Error("database unreachable");
      },
    });
    const response = await route(new Request("http://127.0.0.1/api"), noParams);
    expect(response.status).toBe(500);
    expect(handler).not.toHaveBeenCalled();
  });
});
