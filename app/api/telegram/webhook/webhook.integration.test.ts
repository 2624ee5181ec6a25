/**
 * POST /api/telegram/webhook as Next.js calls it: the secret header is required (401), bodies that
 * are not updates get 400 and break nothing, and the chat keyboard (Status, Approve, Reject with
 * confirmation) and /start deep links work through it against the fake Bot API.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedExecutor } from "@/inngest/embedded/executor";
import { startEmbeddedEngine } from "@/inngest/embedded/start";
import type { DbHandle } from "@/lib/db";
import { approvals, jobs, segments } from "@/lib/db/schema";
import { openTestDb } from "@/lib/db/testing";
import { createRuntime, setRuntime } from "@/lib/runtime";
import { FakeBotApi } from "@/lib/telegram/fake-bot-api";
import { stopTelegramService } from "@/lib/telegram/service";
import { POST } from "./route";

const SECRET = "route_secret";
const user = { id: 777001, first_name: "Dana", language_code: "en" };
let fake: FakeBotApi;
let handle: DbHandle;
let executor: EmbeddedExecutor;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-tg-route-"));

function send(body: string, secret: string | null = SECRET): Promise<Response> {
  return POST(
    new Request("http://127.0.0.1:3000/api/telegram/webhook", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(secret ? { "x-telegram-bot-api-secret-token": secret } : {}),
      },
      body,
    }),
  );
}
const update = (value: unknown) => send(JSON.stringify(value));

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const texts = () =>
  fake
    .callsTo(user.id)
    .filter((c) => c.method === "sendMessage")
    .map((c) => String(c.params.text));

describe("POST /api/telegram/webhook", () => {
  beforeAll(async () => {
    fake = await FakeBotApi.start();
    handle = await openTestDb();
    setRuntime(await createRuntime({ dbHandle: handle, dataDir }));
    executor = await startEmbeddedEngine({ db: handle.db });
  });
  afterAll(async () => {
    // The executor first: with it running, a notifier tick can wait on the database for minutes
    // after the job was cancelled (seen with the cancel clean-up in progress).
    await executor.stop();
    await stopTelegramService();
    await handle.close();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("is off (404) without a bot token", async () => {
    delete process.env.TELEGRAM_BOT_TOKEN;
    expect((await update(fake.textUpdate(user, "/start"))).status).toBe(404);
    Object.assign(process.env, {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      PUBLIC_URL: "https://kadr.example",
    });
  });

  it("rejects a missing or wrong secret with 401 and does nothing", async () => {
    expect((await send(JSON.stringify(fake.textUpdate(user, "/start")), null)).status).toBe(401);
    expect((await send(JSON.stringify(fake.textUpdate(user, "/start")), "wrong_secret")).status).toBe(401);
    expect((await send("not json", "wrong_secret")).status).toBe(401);
    expect(fake.calls.filter((c) => c.method !== "getMe")).toEqual([]);
  });

  it("answers 400 naming the field to bodies that are not updates, and handles nothing of them", async () => {
    const refusal = async (response: Response) => [
      response.status,
      ((await response.json()) as { error: string }).error,
    ];
    expect(await refusal(await send("{not json"))).toEqual([
      400,
      "Not a Telegram update: the body is not JSON",
    ]);
    expect((await send("null")).status).toBe(400);
    expect((await send("[]")).status).toBe(400);
    expect((await update({ update_id: "x" })).status).toBe(400);
    const typed = fake.textUpdate(user, "Lighthouses");
    const [status, error] = await refusal(await update({ ...typed, message: { ...typed.message, text: 5 } }));
    expect(status).toBe(400);
    expect(error).toMatch(/^Not a Telegram update: message\.text: .*string/);
    expect(
      (await update({ update_id: 91, callback_query: { id: "q", data: "approve:x:script" } })).status,
    ).toBe(400);
    expect(fake.calls.filter((c) => c.method !== "getMe")).toEqual([]);
    expect(await handle.db.select().from(jobs)).toEqual([]);
    expect((await update(fake.textUpdate(user, "/start"))).status).toBe(200);
    expect(texts()[0]).toMatch(/^Hi! I turn a topic/);
  });

  it("drives a job from the reply keyboard: Status, Approve, Reject with confirmation", async () => {
    await update(fake.textUpdate(user, "Lighthouses"));
    const [job] = await handle.db.select().from(jobs).where(eq(jobs.topic, "Lighthouses"));
    await until("script gate", async () => {
      const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, job!.id));
      return row!.status === "awaiting_script_approval" || undefined;
    });

    await update(fake.textUpdate(user, "📊 Status"));
    expect(texts().at(-1)).toMatch(/the script waits for your approval\nimages 0\/10 · clips 0\/10/);

    await update(fake.textUpdate(user, "✅ Approve"));
    expect(texts().at(-1)).toBe("Script approved.");
    expect(await handle.db.select().from(approvals).where(eq(approvals.jobId, job!.id))).toHaveLength(1);

    // A failed image blocks the images gate: Approve offers a retry instead, which regenerates it.
    await until("images gate", async () => {
      const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, job!.id));
      return row!.status === "awaiting_images_approval" || undefined;
    });
    const second = and(eq(segments.jobId, job!.id), eq(segments.index, 1));
    await handle.db.update(segments).set({ imageStatus: "failed" }).where(second);
    await update(fake.textUpdate(user, "✅ Approve"));
    const offer = await until("retry offer", () =>
      fake.callsTo(user.id).find((c) => /^Segment 2: the image failed/.test(String(c.params.text))),
    );
    expect(offer.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: "🔁 Retry", callback_data: `retry:${job!.id}:image` }]],
    });
    expect(await handle.db.select().from(approvals).where(eq(approvals.jobId, job!.id))).toHaveLength(1);
    const offerId = (offer.response as { result: { message_id: number } }).result.message_id;
    await update(fake.callbackUpdate(user, offerId, `retry:${job!.id}:image`));
    const [retried] = await handle.db.select().from(segments).where(second);
    expect(retried).toMatchObject({ imageVariation: 1 });
    expect(retried!.imageStatus).not.toBe("failed");

    await update(fake.textUpdate(user, "✖️ Reject"));
    const confirm = fake
      .callsTo(user.id)
      .filter((c) => c.method === "sendMessage")
      .at(-1)!;
    expect(confirm.params.text).toMatch(/Cancel “Lighthouses”\?/);
    expect(confirm.params.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: "Yes, cancel", callback_data: `cancel:${job!.id}` },
          { text: "No", callback_data: `keep:${job!.id}` },
        ],
      ],
    });
    const [before] = await handle.db.select().from(jobs).where(eq(jobs.id, job!.id));
    expect(before!.status).not.toBe("cancelled");
    const messageId = (confirm.response as { result: { message_id: number } }).result.message_id;
    const press = fake.callbackUpdate(user, messageId, `cancel:${job!.id}`);
    expect((await update(press)).status).toBe(200);
    const [after] = await handle.db.select().from(jobs).where(eq(jobs.id, job!.id));
    expect(after!.status).toBe("cancelled");
    expect(fake.message(user.id, messageId)?.text).toMatch(
      /^Cancelled\. Unused credits go back to you; you now have \d+ credits available\.$/,
    );
    expect(fake.unansweredCallbackQueries).toEqual([]);

    // A deep link opens the job; an unknown id says so.
    await update(fake.textUpdate(user, `/start ${job!.id}`));
    await until("the job's status", () => texts().find((t) => /Lighthouses[\s\S]*cancelled/.test(t)));
    await update(fake.textUpdate(user, "/start nosuchjob123"));
    await until("not found", () => texts().includes("I can't find that video.") || undefined);
  });

  it("welcomes Russian-speaking users in Russian", async () => {
    const ru = { id: 777002, first_name: "Иван", language_code: "ru" };
    await update(fake.textUpdate(ru, "/start"));
    const [welcome] = fake.callsTo(ru.id).filter((c) => c.method === "sendMessage");
    expect(welcome!.params.text).toMatch(/^Привет!/);
    expect(welcome!.params.reply_markup).toMatchObject({
      keyboard: [[{ text: "📊 Статус" }, { text: "✅ Одобрить" }], expect.anything()],
    });
  });
});
