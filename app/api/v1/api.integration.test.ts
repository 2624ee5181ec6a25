/**
 * The HTTP API as Next.js calls it: the real route modules, the process env (a PGlite runtime and
 * a recording stand-in for the embedded executor), Telegram auth with a test bot token.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sign } from "@tma.js/init-data-node";
import { and, eq } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as getMedia } from "@/app/api/media/[...key]/route";
import { GET as getMe } from "@/app/api/v1/auth/me/route";
import { POST as postSession } from "@/app/api/v1/auth/session/route";
import { POST as postTelegramLogin } from "@/app/api/v1/auth/telegram-login/route";
import { POST as postApprove } from "@/app/api/v1/jobs/[id]/approve/route";
import { GET as getEvents } from "@/app/api/v1/jobs/[id]/events/route";
import { GET as getJob } from "@/app/api/v1/jobs/[id]/route";
import { PATCH as patchScript } from "@/app/api/v1/jobs/[id]/script/route";
import { POST as postEdit } from "@/app/api/v1/jobs/[id]/segments/[index]/edit/route";
import { POST as postImage } from "@/app/api/v1/jobs/[id]/segments/[index]/image/route";
import { POST as postRegenerate } from "@/app/api/v1/jobs/[id]/segments/[index]/regenerate/route";
import { PATCH as patchSegment } from "@/app/api/v1/jobs/[id]/segments/[index]/route";
import { POST as postSendToChat } from "@/app/api/v1/jobs/[id]/send-to-chat/route";
import { POST as createJobRoute, GET as listJobs } from "@/app/api/v1/jobs/route";
import { installEmbeddedExecutor } from "@/inngest/embedded/bridge";
import { signLoginWidget } from "@/lib/auth/telegram";
import { grant } from "@/lib/credits/ledger";
import type { DbHandle } from "@/lib/db";
import { assets, jobEvents, jobs, segments, subscriptions, users } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import { createRuntime, type Runtime, setRuntime } from "@/lib/runtime";
import { MAX_UPLOAD_BYTES } from "@/lib/studio/editing";
import { createJob, ensureLocalOwner, LOCAL_OWNER_ID } from "@/lib/studio/jobs";
import { FakeBotApi } from "@/lib/telegram/fake-bot-api";

const BOT_TOKEN = "777000:KADR-test-token";
const ORIGIN = "http://127.0.0.1:3210";
let handle: DbHandle;
let runtime: Runtime;
let dataDir: string;
const ingested: Record<string, unknown>[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  handle = await openTestDb();
  dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-api-"));
  // Job limits have their own tests (lib/limits, and the 429 test below sets them): users here start many jobs.
  runtime = await createRuntime({ dbHandle: handle, dataDir, policy: { limits: null } });
  setRuntime(runtime);
  installEmbeddedExecutor({
    register: async () => undefined,
    ingest: async (events) => {
      ingested.push(...events);
      return events.map((_, i) => `event-${ingested.length + i}`);
    },
  });
});

afterAll(async () => {
  installEmbeddedExecutor(undefined);
  setRuntime(undefined);
  await handle.close();
  await fs.promises.rm(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  process.env = { ...savedEnv };
});

/** Telegram mode with initData valid for an hour. */
function telegramMode() {
  process.env.TELEGRAM_BOT_TOKEN = BOT_TOKEN;
  process.env.KADR_INIT_DATA_MAX_AGE = "3600";
  process.env.KADR_SESSION_SECRET = "integration-test-session-secret";
}

function initDataFor(userId: number, authDate = new Date(), startParam?: string): string {
  return sign(
    {
      user: { id: userId, first_name: `User ${userId}`, language_code: "en" },
      ...(startParam ? { start_param: startParam } : {}),
    } as never,
    BOT_TOKEN,
    authDate,
  );
}

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

async function call<P = Record<string, never>>(
  handler: Handler<P>,
  urlPath: string,
  init: RequestInit & { params?: P; auth?: string } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("host", "127.0.0.1:3210");
  if (init.auth) headers.set("authorization", init.auth);
  if (typeof init.body === "string") headers.set("content-type", "application/json");
  const request = new Request(`${ORIGIN}${urlPath}`, { ...init, headers });
  return handler(request, { params: Promise.resolve((init.params ?? {}) as P) });
}

/** Studio deps for jobs a test creates without the API (no event is sent; no job limits). */
function directDeps() {
  return { db: handle.db, sendEvent: async () => undefined, policy: { limits: null } };
}

/** The user's id; they get enough credits for every job the tests start (once). */
async function userIdOf(telegramId: number): Promise<string> {
  const [row] = await handle.db.select().from(users).where(eq(users.telegramId, telegramId));
  await grant(handle.db, { userId: row!.id, amount: 10_000, key: `test:top-up:${row!.id}` });
  return row!.id;
}

describe("Mini App initData", () => {
  it("answers 401 {code, message} for tampered initData", async () => {
    telegramMode();
    const raw = initDataFor(1001);
    const tampered = raw.replace(/first_name%22%3A%22User\+1001/, "first_name%22%3A%22Mallory");
    expect(tampered).not.toBe(raw);
    const response = await call(listJobs, "/api/v1/jobs", { auth: `tma ${tampered}` });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: "unauthorized",
      message: "Telegram init data is not signed by this bot",
    });
  });

  it("answers 401 for initData older than KADR_INIT_DATA_MAX_AGE", async () => {
    telegramMode();
    const raw = initDataFor(1001, new Date(Date.now() - 2 * 3600 * 1000));
    const response = await call(listJobs, "/api/v1/jobs", { auth: `tma ${raw}` });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      code: "unauthorized",
      message: expect.stringContaining("expired"),
    });
  });

  it("answers 401 without credentials when a bot is configured", async () => {
    telegramMode();
    const response = await call(listJobs, "/api/v1/jobs");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: "unauthorized", message: "Sign in with Telegram first" });
  });

  it("lists only the caller's jobs for valid initData and hands back a session", async () => {
    telegramMode();
    const created = await call(createJobRoute, "/api/v1/jobs", {
      method: "POST",
      auth: `tma ${initDataFor(1001)}`,
      body: JSON.stringify({ topic: "Anna's lighthouse", segmentCount: 3 }),
    });
    expect(created.status).toBe(201);
    const annaJob = (await created.json()) as { id: string };
    const [stranger] = await handle.db
      .insert(users)
      .values({ displayName: "Boris", telegramId: 2002 })
      .returning();
    await grant(handle.db, { userId: stranger!.id, amount: 100, key: "test:boris" });
    await createJob(directDeps(), stranger!.id, {
      topic: "Boris's job",
    });

    const response = await call(listJobs, "/api/v1/jobs", { auth: `tma ${initDataFor(1001)}` });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { jobs: { id: string; topic: string }[] };
    expect(body.jobs.map((j) => j.topic)).toEqual(["Anna's lighthouse"]);
    expect(body.jobs[0]!.id).toBe(annaJob.id);
    expect(response.headers.get("set-cookie")).toMatch(
      /^kadr_session=[\w-]+\.[\w-]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/,
    );

    // The issued session works as a bearer token and as the cookie, for the same user.
    const token = response.headers.get("x-kadr-session")!;
    const me = await call(getMe, "/api/v1/auth/me", { auth: `Bearer ${token}` });
    expect(await me.json()).toMatchObject({
      user: { telegramId: 1001, displayName: "User 1001" },
      method: "session",
    });
    const viaCookie = await call(listJobs, "/api/v1/jobs", { headers: { cookie: `kadr_session=${token}` } });
    expect(((await viaCookie.json()) as { jobs: unknown[] }).jobs).toHaveLength(1);
  });

  it("exchanges initData for a session at POST /api/v1/auth/session", async () => {
    telegramMode();
    const response = await call(postSession, "/api/v1/auth/session", {
      method: "POST",
      auth: `tma ${initDataFor(1003)}`,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      token: string;
      expiresAt: number;
      user: { telegramId: number };
    };
    expect(body.user.telegramId).toBe(1003);
    expect(body.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3600);
    const forged = await call(getMe, "/api/v1/auth/me", { auth: `Bearer ${body.token.slice(0, -2)}xx` });
    expect(forged.status).toBe(401);
  });
});

describe("ownership", () => {
  it("answers 404 for another user's job on every job route", async () => {
    telegramMode();
    const [owner] = await handle.db
      .insert(users)
      .values({ displayName: "Owner", telegramId: 3003 })
      .returning();
    await grant(handle.db, { userId: owner!.id, amount: 100, key: "test:owner" });
    const job = await createJob(directDeps(), owner!.id, {
      topic: "Private",
    });
    await handle.db.update(jobs).set({ status: "awaiting_script_approval" }).where(eq(jobs.id, job.id));
    const auth = `tma ${initDataFor(4004)}`;
    const id = job.id;
    const responses = await Promise.all([
      call(getJob, `/api/v1/jobs/${id}`, { auth, params: { id } }),
      call(getEvents, `/api/v1/jobs/${id}/events`, { auth, params: { id } }),
      call(patchScript, `/api/v1/jobs/${id}/script`, {
        method: "PATCH",
        auth,
        params: { id },
        body: JSON.stringify({ title: "Mine now" }),
      }),
      call(patchSegment, `/api/v1/jobs/${id}/segments/0`, {
        method: "PATCH",
        auth,
        params: { id, index: "0" },
        body: JSON.stringify({ narration: "Mine now" }),
      }),
      call(postRegenerate, `/api/v1/jobs/${id}/segments/0/regenerate`, {
        method: "POST",
        auth,
        params: { id, index: "0" },
        body: JSON.stringify({ target: "image" }),
      }),
      call(postApprove, `/api/v1/jobs/${id}/approve`, {
        method: "POST",
        auth,
        params: { id },
        body: JSON.stringify({ gate: "script" }),
      }),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ code: "not_found", message: `No job ${id}` });
    }
    const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, id));
    expect(row!.script).toBeNull();
  });

  it("serves media only to the owner of a job using it", async () => {
    telegramMode();
    const ownerId = await userIdOf(1001);
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.ownerId, ownerId));
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#c33" } })
      .png()
      .toBuffer();
    const blob = await runtime.store.putBuffer(png, "image", "png");
    const [asset] = await handle.db
      .insert(assets)
      .values({
        kind: "image",
        storageKey: blob.key,
        sha256: blob.sha256,
        mime: "image/png",
        bytes: blob.bytes,
        provider: "t",
      })
      .returning();
    await handle.db.insert(segments).values({
      jobId: job!.id,
      index: 0,
      section: "intro",
      narration: "n",
      caption: "c",
      startSeconds: 0,
      seconds: 5,
      imagePrompt: "p",
      motionPrompt: "m",
      imageStatus: "ready",
      imageAssetId: asset!.id,
    });
    const params = { key: blob.key.split("/") };
    const mine = await call(getMedia, `/api/media/${blob.key}`, { auth: `tma ${initDataFor(1001)}`, params });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await mine.arrayBuffer())).toEqual(png);
    const theirs = await call(getMedia, `/api/media/${blob.key}`, {
      auth: `tma ${initDataFor(4004)}`,
      params,
    });
    expect(theirs.status).toBe(404);
    const anonymous = await call(getMedia, `/api/media/${blob.key}`, { params });
    expect(anonymous.status).toBe(401);
  });
});

describe("Telegram Login Widget", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it("signs a user in with a correct hash: session cookie and user", async () => {
    telegramMode();
    const fields = signLoginWidget({ id: 5005, first_name: "Vera", auth_date: now() - 5 }, BOT_TOKEN);
    const response = await call(postTelegramLogin, "/api/v1/auth/telegram-login", {
      method: "POST",
      body: JSON.stringify(fields),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user: { telegramId: 5005, displayName: "Vera" } });
    expect(response.headers.get("set-cookie")).toMatch(/^kadr_session=/);
  });

  it("answers 401 for a wrong hash and when no bot is configured", async () => {
    telegramMode();
    const fields = signLoginWidget({ id: 5005, first_name: "Vera", auth_date: now() - 5 }, "1:another-bot");
    const bad = await call(postTelegramLogin, "/api/v1/auth/telegram-login", {
      method: "POST",
      body: JSON.stringify(fields),
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      code: "unauthorized",
      message: "Telegram login data is not signed by this bot",
    });
    expect(bad.headers.get("set-cookie")).toBeNull();
    delete process.env.TELEGRAM_BOT_TOKEN;
    const unconfigured = await call(postTelegramLogin, "/api/v1/auth/telegram-login", {
      method: "POST",
      body: JSON.stringify(signLoginWidget({ id: 5005, first_name: "V", auth_date: now() }, BOT_TOKEN)),
    });
    expect(unconfigured.status).toBe(401);
  });

  it("refuses a cross-site post of valid widget data with 403 and no cookie (login CSRF)", async () => {
    telegramMode();
    const fields = signLoginWidget({ id: 5006, first_name: "Mallory", auth_date: now() - 5 }, BOT_TOKEN);
    const crossSite: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const headers of crossSite) {
      const response = await call(postTelegramLogin, "/api/v1/auth/telegram-login", {
        method: "POST",
        headers,
        body: JSON.stringify(fields),
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        code: "forbidden",
        message: "Cross-site requests are not allowed",
      });
      expect(response.headers.get("set-cookie")).toBeNull();
    }
  });
});

describe("local single-owner mode", () => {
  it("acts as the local owner on loopback, issues it no token, and refuses other hosts", async () => {
    delete process.env.TELEGRAM_BOT_TOKEN;
    const local = await call(getMe, "/api/v1/auth/me");
    expect(local.status).toBe(200);
    expect(await local.json()).toMatchObject({
      user: { id: LOCAL_OWNER_ID, telegramId: null },
      method: "local",
    });
    const noToken = await call(postSession, "/api/v1/auth/session", { method: "POST" });
    expect(noToken.status).toBe(403);
    expect(noToken.headers.get("set-cookie")).toBeNull();
    const remote = await call(getMe, "/api/v1/auth/me", { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(remote.status).toBe(401);
    expect(((await remote.json()) as { message: string }).message).toContain("loopback");
  });

  it("refuses cross-site state changes with 403", async () => {
    delete process.env.TELEGRAM_BOT_TOKEN;
    const response = await call(createJobRoute, "/api/v1/jobs", {
      method: "POST",
      headers: { origin: "https://evil.example" },
      body: JSON.stringify({ topic: "CSRF" }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      code: "forbidden",
      message: "Cross-site requests are not allowed",
    });
    const rows = await handle.db.select().from(jobs).where(eq(jobs.topic, "CSRF"));
    expect(rows).toHaveLength(0);
  });
});

describe("editing routes", () => {
  async function jobAtImagesGate(telegramId: number) {
    const ownerId = await userIdOf(telegramId);
    const job = await createJob(directDeps(), ownerId, {
      topic: "Editing",
      segmentCount: 2,
    });
    await handle.db.update(jobs).set({ status: "awaiting_images_approval" }).where(eq(jobs.id, job.id));
    await handle.db.insert(segments).values(
      [0, 1].map((index) => ({
        jobId: job.id,
        index,
        section: "main" as const,
        narration: `Narration ${index}`,
        caption: "c",
        startSeconds: index * 5,
        seconds: 5,
        imagePrompt: "p",
        motionPrompt: "m",
        imageStatus: "ready" as const,
      })),
    );
    return job.id;
  }

  it("asks for an instruction edit of an image: 202, 422 bad instruction, 404 other user's job, 409 wrong stage", async () => {
    telegramMode();
    const id = await jobAtImagesGate(1001);
    const auth = `tma ${initDataFor(1001)}`;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#357" } })
      .png()
      .toBuffer();
    const blob = await runtime.store.putBuffer(png, "image", "png");
    const [asset] = await handle.db
      .insert(assets)
      .values({
        kind: "image",
        storageKey: blob.key,
        sha256: blob.sha256,
        mime: "image/png",
        bytes: blob.bytes,
        provider: "t",
      })
      .returning();
    await handle.db
      .update(segments)
      .set({ imageAssetId: asset!.id })
      .where(and(eq(segments.jobId, id), eq(segments.index, 1)));
    const edit = (index: number, body: unknown, as = auth, jobId = id) =>
      call(postEdit, `/api/v1/jobs/${jobId}/segments/${index}/edit`, {
        method: "POST",
        auth: as,
        params: { id: jobId, index: String(index) },
        body: JSON.stringify(body),
      });

    const accepted = await edit(1, { instruction: "make the sky red" });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ variation: 1 });
    expect(ingested.at(-1)).toMatchObject({
      name: "video/segment.regeneration.requested",
      data: {
        jobId: id,
        index: 1,
        target: "image",
        variation: 1,
        edit: { instruction: "make the sky red", sourceAssetId: asset!.id },
      },
    });
    const [segment] = await handle.db
      .select()
      .from(segments)
      .where(and(eq(segments.jobId, id), eq(segments.index, 1)));
    expect(segment).toMatchObject({ imageStatus: "pending", imageAssetId: asset!.id, imageVariation: 1 });

    // Schema failures answer 422 like every route's body schema; the message names the problem.
    const empty = await edit(0, { instruction: "   " });
    expect(empty.status).toBe(422);
    expect(await empty.json()).toEqual({
      code: "bad_input",
      message: "instruction: The instruction is empty",
    });
    const long = await edit(0, { instruction: "x".repeat(501) });
    expect(long.status).toBe(422);
    expect((await long.json()).message).toBe("instruction: The instruction is longer than 500 characters");
    expect((await edit(0, {})).status).toBe(422);
    const badIndex = await call(postEdit, `/api/v1/jobs/${id}/segments/x/edit`, {
      method: "POST",
      auth,
      params: { id, index: "x" },
      body: JSON.stringify({ instruction: "red" }),
    });
    expect(badIndex.status).toBe(400);

    const stranger = await edit(1, { instruction: "mine now" }, `tma ${initDataFor(4004)}`);
    expect(stranger.status).toBe(404);
    expect(await stranger.json()).toEqual({ code: "not_found", message: `No job ${id}` });

    // Segment 1 is being edited; segment 0 has no image yet; at the clips gate nothing can be edited.
    expect((await edit(1, { instruction: "again" })).status).toBe(409);
    expect(await (await edit(0, { instruction: "red" })).json()).toMatchObject({
      code: "conflict",
      message: "Segment 1 has no finished image to edit: regenerate it",
    });
    await handle.db.update(jobs).set({ status: "awaiting_clips_approval" }).where(eq(jobs.id, id));
    const wrongStage = await edit(0, { instruction: "red" });
    expect(wrongStage.status).toBe(409);
    expect(await wrongStage.json()).toEqual({
      code: "conflict",
      message: "An image can be edited only while the job waits for images approval",
    });
  });

  it("edits a segment, asks for a new image with a new prompt, and validates input", async () => {
    telegramMode();
    const id = await jobAtImagesGate(1001);
    const auth = `tma ${initDataFor(1001)}`;
    const edited = await call(patchSegment, `/api/v1/jobs/${id}/segments/1`, {
      method: "PATCH",
      auth,
      params: { id, index: "1" },
      body: JSON.stringify({ caption: "Harbour" }),
    });
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({ kind: "segment", segment: { index: 1, caption: "Harbour" } });

    const regenerated = await call(postRegenerate, `/api/v1/jobs/${id}/segments/1/regenerate`, {
      method: "POST",
      auth,
      params: { id, index: "1" },
      body: JSON.stringify({ target: "image", prompt: "a harbour at night" }),
    });
    expect(regenerated.status).toBe(202);
    expect(await regenerated.json()).toEqual({ variation: 1 });
    expect(ingested.at(-1)).toMatchObject({
      name: "video/segment.regeneration.requested",
      data: { jobId: id, index: 1 },
    });

    const wrongTarget = await call(postRegenerate, `/api/v1/jobs/${id}/segments/0/regenerate`, {
      method: "POST",
      auth,
      params: { id, index: "0" },
      body: JSON.stringify({ target: "poster" }),
    });
    expect(wrongTarget.status).toBe(422);
    expect(await wrongTarget.json()).toEqual({
      code: "bad_input",
      message: "target: target must be image or clip",
    });
    const badIndex = await call(patchSegment, `/api/v1/jobs/${id}/segments/x`, {
      method: "PATCH",
      auth,
      params: { id, index: "x" },
      body: JSON.stringify({ caption: "c" }),
    });
    expect(badIndex.status).toBe(400);
    const atWrongGate = await call(patchScript, `/api/v1/jobs/${id}/script`, {
      method: "PATCH",
      auth,
      params: { id },
      body: JSON.stringify({ title: "New" }),
    });
    expect(atWrongGate.status).toBe(409);
  });

  function multipart(file: Buffer, field = "image"): { body: FormData } {
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(file)], { type: "image/png" }), "upload.png");
    return { body: form };
  }

  it("takes an uploaded PNG and refuses one over 10 MB with 413", async () => {
    telegramMode();
    const id = await jobAtImagesGate(1001);
    const auth = `tma ${initDataFor(1001)}`;
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#2a6" } })
      .png()
      .toBuffer();
    const ok = await call(postImage, `/api/v1/jobs/${id}/segments/0/image`, {
      method: "POST",
      auth,
      params: { id, index: "0" },
      ...multipart(png),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ segment: { index: 0, imageStatus: "ready", imageVariation: 1 } });

    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    png.copy(big);
    const tooLarge = await call(postImage, `/api/v1/jobs/${id}/segments/1/image`, {
      method: "POST",
      auth,
      params: { id, index: "1" },
      ...multipart(big),
    });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ code: "too_large" });
    const missing = await call(postImage, `/api/v1/jobs/${id}/segments/1/image`, {
      method: "POST",
      auth,
      params: { id, index: "1" },
      ...multipart(png, "file"),
    });
    expect(missing.status).toBe(400);
  });
});

describe("GET /api/v1/jobs/:id/events", () => {
  async function readFrames(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    count: number,
  ): Promise<string[]> {
    const decoder = new TextDecoder();
    let buffer = "";
    const frames: string[] = [];
    while (frames.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!frame.startsWith(":")) frames.push(frame);
        end = buffer.indexOf("\n\n");
      }
    }
    return frames;
  }

  function dataOf(frame: string): { job: { status: string }; counts: { images: number } } {
    return JSON.parse(
      frame
        .split("\n")
        .find((l) => l.startsWith("data: "))!
        .slice(6),
    );
  }

  it("sends the view at once, again after each new job event, and ends after a final status", async () => {
    telegramMode();
    const ownerId = await userIdOf(1001);
    const job = await createJob(directDeps(), ownerId, {
      topic: "Live",
    });
    const response = await call(getEvents, `/api/v1/jobs/${job.id}/events`, {
      auth: `tma ${initDataFor(1001)}`,
      params: { id: job.id },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = response.body!.getReader();
    const [first] = await readFrames(reader, 1);
    expect(first).toMatch(/^id: \d+\nevent: update\ndata: /);
    expect(dataOf(first!).job.status).toBe("queued");

    await handle.db.update(jobs).set({ status: "scripting" }).where(eq(jobs.id, job.id));
    await handle.db
      .insert(jobEvents)
      .values({ jobId: job.id, type: "status", data: { status: "scripting" } });
    const [second] = await readFrames(reader, 1);
    expect(dataOf(second!).job.status).toBe("scripting");

    await handle.db.update(jobs).set({ status: "cancelled" }).where(eq(jobs.id, job.id));
    await handle.db
      .insert(jobEvents)
      .values({ jobId: job.id, type: "status", data: { status: "cancelled" } });
    const [third, end] = await readFrames(reader, 2);
    expect(dataOf(third!).job.status).toBe("cancelled");
    expect(end).toBe('event: end\ndata: {"status":"cancelled"}');
    expect((await reader.read()).done).toBe(true);
  });
});

describe("POST /api/v1/jobs/:id/send-to-chat", () => {
  /** Marks the job completed with a small stored "video" (the fake Bot API does not decode it). */
  async function completeWithVideo(jobId: string) {
    const blob = await runtime.store.putBuffer(Buffer.from(`not really an mp4 ${jobId}`), "video", "mp4");
    const [video] = await handle.db
      .insert(assets)
      .values({
        kind: "video",
        storageKey: blob.key,
        sha256: blob.sha256,
        mime: "video/mp4",
        bytes: blob.bytes,
        provider: "kadr",
        durationSeconds: 7,
        width: 1280,
        height: 720,
      })
      .returning();
    await handle.db
      .update(jobs)
      .set({ status: "completed", finalAssetId: video!.id })
      .where(eq(jobs.id, jobId));
    return video!;
  }

  it("sends the video to the user's own chat, uploading once and then by file_id; 409 before completion, 404 for others", async () => {
    const fake = await FakeBotApi.start({ token: BOT_TOKEN });
    try {
      telegramMode();
      process.env.TELEGRAM_API_ROOT = fake.apiRoot;
      const auth = `tma ${initDataFor(5005)}`;
      const me = await call(getMe, "/api/v1/auth/me", { auth });
      expect(await me.json()).toMatchObject({ user: { telegramId: 5005 }, canSendToChat: true });
      const userId = await userIdOf(5005);
      const job = await createJob(directDeps(), userId, { topic: "Send me" });
      const send = (as = auth) =>
        call(postSendToChat, `/api/v1/jobs/${job.id}/send-to-chat`, {
          method: "POST",
          auth: as,
          params: { id: job.id },
        });

      const early = await send();
      expect(early.status).toBe(409);
      expect(await early.json()).toMatchObject({
        code: "conflict",
        message: expect.stringMatching(/queued.*finished/),
      });

      const video = await completeWithVideo(job.id);
      const first = await send();
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ method: "upload" });
      const again = await send();
      expect(await again.json()).toEqual({ method: "file_id" });

      const [upload, resend, ...more] = fake.callsOf("sendVideo");
      expect(more).toHaveLength(0);
      // Multipart fields arrive as strings.
      expect(upload).toMatchObject({
        multipart: true,
        params: { chat_id: "5005", supports_streaming: "true" },
      });
      expect(upload!.uploads.map((u) => u.filename)).toContain(`${job.id}.mp4`);
      const fileId = (upload!.response as { result: { video: { file_id: string } } }).result.video.file_id;
      expect(resend).toMatchObject({ multipart: false, params: { chat_id: 5005, video: fileId } });
      const [stored] = await handle.db.select().from(assets).where(eq(assets.id, video.id));
      expect(stored!.telegramFileId).toBe(fileId);
      const followers = await handle.db.select().from(subscriptions).where(eq(subscriptions.jobId, job.id));
      expect(followers).toMatchObject([{ userId, telegramChatId: 5005 }]);
      expect(followers[0]!.deliveredAt).toBeInstanceOf(Date);

      const stranger = await send(`tma ${initDataFor(6006)}`);
      expect(stranger.status).toBe(404);
      expect(fake.callsOf("sendVideo")).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it("answers 409 with a clear message when the bot is off (local owner), and me says so", async () => {
    delete process.env.TELEGRAM_BOT_TOKEN;
    const ownerId = await ensureLocalOwner(handle.db);
    const job = await createJob(directDeps(), ownerId, { topic: "Local video" });
    await completeWithVideo(job.id);
    const me = await call(getMe, "/api/v1/auth/me");
    expect(await me.json()).toMatchObject({ method: "local", canSendToChat: false });
    const response = await call(postSendToChat, `/api/v1/jobs/${job.id}/send-to-chat`, {
      method: "POST",
      params: { id: job.id },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      code: "conflict",
      message: "The Telegram bot is not configured on this server: download the video instead",
    });
  });
});
