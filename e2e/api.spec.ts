import { expect, test } from "@playwright/test";
import { E2E_INIT_DATA_MAX_AGE, signedInitData } from "./telegram";

/** The negative cases of the API against the running server, without a browser page. */

const alice = { id: 930_001, first_name: "Alice" };
const bob = { id: 930_002, first_name: "Bob" };
const tma = (initData: string) => ({ authorization: `tma ${initData}` });

test("tampered initData is refused with 401", async ({ request }) => {
  const raw = signedInitData(alice);
  const tampered = raw.replace("Alice", "Mallory");
  expect(tampered).not.toBe(raw);
  const response = await request.get("/api/v1/jobs", { headers: tma(tampered) });
  expect(response.status()).toBe(401);
  expect(await response.json()).toEqual({
    code: "unauthorized",
    message: "Telegram init data is not signed by this bot",
  });
});

test("expired initData is refused with 401", async ({ request }) => {
  const old = new Date(Date.now() - (E2E_INIT_DATA_MAX_AGE + 600) * 1000);
  const response = await request.get("/api/v1/jobs", {
    headers: tma(signedInitData(alice, { authDate: old })),
  });
  expect(response.status()).toBe(401);
  expect(await response.json()).toMatchObject({
    code: "unauthorized",
    message: expect.stringContaining("expired"),
  });
});

test("requests without credentials are refused with 401", async ({ request }) => {
  const response = await request.get("/api/v1/jobs");
  expect(response.status()).toBe(401);
  expect(await response.json()).toEqual({ code: "unauthorized", message: "Sign in with Telegram first" });
});

test("another user's job is a 404 everywhere, and an oversized upload a 413", async ({ request }) => {
  const created = await request.post("/api/v1/jobs", {
    headers: tma(signedInitData(alice)),
    data: { topic: "Alice's private video", segmentCount: 2 },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const asBob = tma(signedInitData(bob));

  for (const response of [
    await request.get(`/api/v1/jobs/${id}`, { headers: asBob }),
    await request.get(`/api/v1/jobs/${id}/events`, { headers: asBob }),
    await request.patch(`/api/v1/jobs/${id}/script`, { headers: asBob, data: { title: "Bob's now" } }),
    await request.post(`/api/v1/jobs/${id}/cancel`, { headers: asBob }),
  ]) {
    expect(response.status()).toBe(404);
    expect(await response.json()).toEqual({ code: "not_found", message: `No job ${id}` });
  }
  const bobsList = await request.get("/api/v1/jobs", { headers: asBob });
  expect(((await bobsList.json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).not.toContain(id);

  const oversized = Buffer.alloc(11 * 1024 * 1024, 0);
  oversized.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const upload = await request.post(`/api/v1/jobs/${id}/segments/0/image`, {
    headers: tma(signedInitData(alice)),
    multipart: { image: { name: "huge.png", mimeType: "image/png", buffer: oversized } },
  });
  expect(upload.status()).toBe(413);
  expect(await upload.json()).toMatchObject({ code: "too_large" });

  const cancelled = await request.post(`/api/v1/jobs/${id}/cancel`, { headers: tma(signedInitData(alice)) });
  expect(cancelled.status()).toBe(200);
});
