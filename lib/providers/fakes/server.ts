/**
 * The HTTP core every provider fake shares: a node:http server on 127.0.0.1 (random port) that
 * records each request, lets a test script the next replies (429 with retry hints, 500, 401/403,
 * slow answers, malformed bodies) and otherwise hands the request to the provider's strict handler.
 * Test-only code: nothing in the app imports it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the fake received it. */
export interface FakeRequest {
  method: string;
  /** Path without the query string, e.g. "/v1/responses". */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names (node:http). */
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Parsed body when the content type is JSON and it parses; undefined otherwise. */
  json: unknown;
}

/** A reply: a JSON value, or raw bytes/text, with status, headers and an optional delay. */
export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  /** JSON body (sent with `content-type: application/json` unless headers say otherwise). */
  json?: unknown;
  /** Raw body (bytes or text), used when `json` is undefined. */
  body?: Buffer | string;
  /** Wait this long before answering, in milliseconds (slow-response scenarios). */
  delayMs?: number;
}

/** A scripted reply and the requests it applies to. */
export interface ScriptedReply extends FakeReply {
  /** Matched against `"<METHOD> <path>"`; every request matches when absent. */
  match?: RegExp;
}

/** A provider's request handler: validates the request and answers like the provider. */
export type FakeHandler = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

/** A running fake: its origin, the request log and the script of upcoming replies. */
export class FakeServer {
  /** Every request received, oldest first. */
  readonly requests: FakeRequest[] = [];
  private readonly scripted: ScriptedReply[] = [];
  private readonly server: http.Server;
  private origin = "";

  /** @param handler answers unscripted requests; subclasses override `handle` instead. */
  constructor(private readonly handler?: FakeHandler) {
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`fake server crashed: ${err instanceof Error ? err.stack : String(err)}`);
      });
    });
  }

  /** `http://127.0.0.1:<port>`; valid after `start()`. */
  get url(): string {
    if (!this.origin) throw new Error("fake server not started");
    return this.origin;
  }

  /** Listens on 127.0.0.1 on a free port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Queues replies: each one answers the next request matching its `match` (in queue order) instead
   * of the provider handler.
   */
  script(...replies: ScriptedReply[]): void {
    this.scripted.push(...replies);
  }

  /** Requests whose `"<METHOD> <path>"` matches `pattern`. */
  requestsTo(pattern: RegExp): FakeRequest[] {
    return this.requests.filter((r) => pattern.test(`${r.method} ${r.path}`));
  }

  /** Answers an unscripted request (the provider's strict behaviour). */
  protected handle(request: FakeRequest): FakeReply | Promise<FakeReply> {
    if (!this.handler) throw new Error("FakeServer needs a handler or an overridden handle()");
    return this.handler(request);
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const request: FakeRequest = {
      method: req.method ?? "GET",
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      body,
      json: parseJson(req.headers["content-type"], body),
    };
    this.requests.push(request);
    const key = `${request.method} ${request.path}`;
    const index = this.scripted.findIndex((s) => !s.match || s.match.test(key));
    const reply = index >= 0 ? this.scripted.splice(index, 1)[0]! : await this.handle(request);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...reply.headers };
    let payload: Buffer | string = reply.body ?? "";
    if (reply.json !== undefined) {
      headers["content-type"] ??= "application/json";
      payload = JSON.stringify(reply.json);
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }
}

function parseJson(contentType: string | undefined, body: Buffer): unknown {
  if (!contentType?.includes("json") || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The `Authorization: Bearer <token>` token, or undefined. */
export function bearerToken(request: FakeRequest): string | undefined {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
  return match?.[1];
}

/** A JSON object body as a record, or undefined when the body is not a JSON object. */
export function jsonObject(request: FakeRequest): Record<string, unknown> | undefined {
  const { json } = request;
  return json !== null && typeof json === "object" && !Array.isArray(json)
    ? (json as Record<string, unknown>)
    : undefined;
}
