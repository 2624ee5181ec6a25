import { expect, type Page, test } from "@playwright/test";
import { StoryboardPage, shoot } from "./storyboard-page";
import {
  E2E_BOT_USERNAME,
  miniAppUrl,
  mockTelegramClient,
  signedInitData,
  signInDashboard,
  switchTheme,
  telegramCalls,
} from "./telegram";

/**
 * Credits, Extend, Start again and Load more on both surfaces: the live estimate against the
 * balance (a fresh Telegram user has the starting grant of 100 credits), the server's 402 / 429
 * refusals rendered in the form, a completed video extended by one segment (the new job opens,
 * links its parent and ends longer), a cancelled video started again, and the history's next page.
 */

/** A fresh Telegram user per test, so balances and histories start clean on a reused database. */
function freshUser(offset: number, first_name: string) {
  return {
    id: 930_000_000 + ((Date.now() + offset) % 1_000_000) * 10 + offset,
    first_name,
    language_code: "en",
  };
}

const form = (page: Page) => page.getByRole("form", { name: "New video" });
const creditLine = (page: Page) => form(page).getByTestId("credit-line");

test.beforeEach(async ({ page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  await page.route(/telegram\.org/, (route) => route.abort());
});

test("dashboard: the estimate follows the format, a short balance disables Create with a top-up link", async ({
  page,
}) => {
  await signInDashboard(page, freshUser(1, "Vera"));
  await page.goto("/");
  await expect(creditLine(page)).toContainText("Cost: 42 credits");
  await expect(creditLine(page)).toContainText("Balance: 100 credits");
  const create = page.getByRole("button", { name: "Create video" });
  await page.getByLabel("Topic").fill("Lighthouse at dawn");
  await expect(create).toBeEnabled();

  // 4 min = 48 × 5 s: 2 + 48 + 96 + 48 = 194 credits > 100.
  await page.getByText("4 min", { exact: true }).click();
  await expect(creditLine(page)).toContainText("Cost: 194 credits");
  const alert = creditLine(page).getByRole("alert");
  await expect(alert).toHaveText(
    /Not enough credits: this needs 194, you have 100\. Top up 94 to start it\.\s*Buy credits in the bot/,
  );
  await expect(alert.getByRole("link", { name: "Buy credits in the bot" })).toHaveAttribute(
    "href",
    `https://t.me/${E2E_BOT_USERNAME}?start=buy`,
  );
  await expect(create).toBeDisabled();
  await shoot(page, "dashboard-credits-short-light");

  // Custom 3 × 10 s: 2 + 3 + 6 + 6 = 17 credits.
  await page.getByText("Custom", { exact: true }).click();
  await page.getByLabel("Segments").selectOption("3");
  await page.getByLabel("Seconds each").selectOption("10");
  await expect(creditLine(page)).toContainText("Cost: 17 credits");
  await expect(creditLine(page).getByRole("alert")).toHaveCount(0);
  await expect(create).toBeEnabled();

  // In Russian.
  await page.locator("label", { hasText: /^ru$/i }).click();
  // (the form is now named "Новое видео")
  await expect(page.getByTestId("credit-line")).toContainText("Стоимость: 17 кредитов");
  await expect(page.getByTestId("credit-line")).toContainText("Баланс: 100 кредитов");
  await expect(page.getByRole("button", { name: "Создать видео" })).toBeEnabled();
  await page.locator("label", { hasText: /^en$/i }).click();
});

test("dashboard: the server's 402 and 429 answers are shown in the form", async ({ page }) => {
  await signInDashboard(page, freshUser(2, "Gleb"));
  await page.goto("/");
  await page.getByLabel("Topic").fill("Refused");
  const answers: { status: number; headers: Record<string, string>; body: object }[] = [
    {
      status: 402,
      headers: {},
      body: { code: "insufficient_credits", message: "x", needed: 42, balance: 30, shortfall: 12 },
    },
    {
      status: 429,
      headers: { "Retry-After": "37" },
      body: { code: "rate_limited", message: "x", retryAfterSeconds: 37 },
    },
  ];
  await page.route("**/api/v1/jobs", async (route) => {
    if (route.request().method() !== "POST") return route.fallback();
    const answer = answers.shift()!;
    await route.fulfill({ status: answer.status, headers: answer.headers, json: answer.body });
  });
  const create = page.getByRole("button", { name: "Create video" });
  await create.click();
  const note = form(page).getByRole("alert").last();
  await expect(note).toContainText("Not enough credits: this needs 42, you have 30. Top up 12 to start it.");
  await expect(note.getByRole("link", { name: "Buy credits in the bot" })).toBeVisible();
  await create.click();
  await expect(form(page).getByRole("alert").last()).toHaveText(
    "Too many requests right now: try again in 37 s.",
  );
  await expect(page).toHaveURL(/\/$/);
});

test("dashboard: a completed video is extended by one segment; the extension links its parent", async ({
  page,
}) => {
  test.setTimeout(480_000);
  await signInDashboard(page, freshUser(3, "Olga"));
  const editor = new StoryboardPage(page, "dashboard");
  await page.goto("/");
  await page.getByLabel("Topic").fill("A harbour at night");
  await page.getByText("Custom", { exact: true }).click();
  await page.getByLabel("Segments").selectOption("2");
  await page.getByRole("button", { name: "Create video" }).click();
  await expect(page).toHaveURL(/\/jobs\/[\w-]+$/);
  const parentId = page.url().split("/").at(-1)!;
  await editor.approve("Approve script");
  await editor.approve("Approve 2 images");
  await editor.approve("Approve 2 clips");
  await expect(editor.status()).toHaveText("Completed", { timeout: 180_000 });

  // Download and Extend under the player: one 5 s segment costs 1 + 2 + 1 = 4 credits.
  const video = page.getByRole("region", { name: "Video" });
  await expect(video.getByRole("link", { name: /Download MP4/ })).toHaveAttribute("href", /\/api\/media\//);
  const extend = page.getByRole("form", { name: "Extend this video" });
  await expect(extend.getByTestId("credit-line")).toContainText("Cost: 4 credits");
  const submit = extend.getByRole("button", { name: "Extend · 4 credits" });
  await expect(submit).toBeDisabled(); // no prompt yet
  await extend.getByLabel("What happens next").fill("The lights of the harbour go out one by one.");
  await shoot(page, "dashboard-final-extend-light");
  await page.emulateMedia({ colorScheme: "dark" });
  await shoot(page, "dashboard-final-extend-dark");
  await page.emulateMedia({ colorScheme: "light" });
  await submit.click();

  await expect(page).not.toHaveURL(new RegExp(`/jobs/${parentId}$`), { timeout: 30_000 });
  const childId = page.url().split("/").at(-1)!;
  const parentLink = page.getByTestId("parent-link");
  await expect(parentLink).toContainText("Extends the original video");
  await expect(parentLink.getByRole("link")).toHaveAttribute("href", `/jobs/${parentId}`);
  await expect(editor.status()).toHaveText("Completed", { timeout: 240_000 });
  await editor.playFinalVideo(0.5);
  const [parent, child] = await Promise.all(
    [parentId, childId].map(async (id) => (await page.request.get(`/api/v1/jobs/${id}`)).json()),
  );
  expect(child.job.parentJobId).toBe(parentId);
  expect(child.finalAsset.durationSeconds).toBeGreaterThan(parent.finalAsset.durationSeconds + 3);
  await shoot(page, "dashboard-extension-light");

  // The history marks the extension.
  await page.goto("/");
  await expect(
    page.getByRole("link", { name: "The lights of the harbour go out one by one." }),
  ).toContainText("Extension");
});

test("dashboard: Load more appends the next page of the history", async ({ page }) => {
  await signInDashboard(page, freshUser(4, "Ilya"));
  const job = (n: number) => ({
    id: `page-job-${n}`,
    topic: `Paged video ${n}`,
    status: "cancelled",
    segmentCount: 10,
    segmentSeconds: 5,
    aspect: "16:9",
    language: "en",
    createdAt: new Date(Date.now() - n * 60_000).toISOString(),
    error: null,
    counts: { segments: 10, images: 0, clips: 0, narration: 0 },
    awaitingGate: null,
    final: true,
    thumbnails: [],
    videoUrl: null,
    parentJobId: null,
  });
  const requested: string[] = [];
  await page.route("**/api/v1/jobs*", async (route) => {
    const url = new URL(route.request().url());
    if (route.request().method() !== "GET" || url.pathname !== "/api/v1/jobs") return route.fallback();
    requested.push(url.search);
    const before = url.searchParams.get("before");
    await route.fulfill({
      json: before
        ? { jobs: [20, 21, 22].map(job), nextCursor: null }
        : { jobs: Array.from({ length: 20 }, (_, n) => job(n)), nextCursor: "CURSOR-1" },
    });
  });
  await page.goto("/");
  const history = page.getByRole("list", { name: "History" });
  await expect(history.getByRole("listitem")).toHaveCount(20);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(history.getByRole("listitem")).toHaveCount(23);
  await expect(history.getByRole("listitem").last()).toContainText("Paged video 22");
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
  expect(requested).toEqual(["", "?before=CURSOR-1"]);
});

test("dashboard: an expired video says so, with the gate from job.error, and starts again", async ({
  page,
}) => {
  const user = freshUser(6, "Nina");
  await signInDashboard(page, user);
  const created = await page.request.post("/api/v1/jobs", {
    data: { topic: "Northern lights", segmentCount: 3, segmentSeconds: 4, aspect: "9:16", language: "en" },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  expect((await page.request.post(`/api/v1/jobs/${id}/cancel`)).status()).toBe(200);
  await expect
    .poll(async () => (await (await page.request.get(`/api/v1/jobs/${id}`)).json()).job.status)
    .toBe("cancelled");
  // The gate timeout is 24 h on the e2e server: the view is served as the pipeline leaves an expired job.
  const real = await (await page.request.get(`/api/v1/jobs/${id}`)).json();
  const gateError = "No approval of the script within 24 h: the video expired";
  await page.route(`**/api/v1/jobs/${id}`, (route) =>
    route.request().method() === "GET"
      ? route.fulfill({ json: { ...real, job: { ...real.job, status: "expired", error: gateError } } })
      : route.fallback(),
  );
  await page.goto(`/jobs/${id}`);
  const ended = page.getByTestId("job-ended");
  await expect(ended).toContainText("This video expired: nobody approved it in time");
  await expect(ended).toContainText(gateError);
  await expect(page.getByTestId("job-status")).toHaveText("Expired (no approval in time)");
  await expect(ended.getByTestId("credit-line")).toContainText("Cost: 14 credits"); // 2 + 3 + 6 + ceil(12 s × 0.2)
  await expect(page.getByRole("button", { name: "Cancel video" })).toHaveCount(0);
  await shoot(page, "dashboard-expired-light");
  await page.locator("label", { hasText: /^ru$/i }).click();
  await expect(ended).toContainText("Срок истёк: видео не одобрили вовремя");
  await expect(ended.getByRole("button", { name: "Начать заново с той же темой" })).toBeVisible();
  await shoot(page, "dashboard-expired-ru-light");
  await page.locator("label", { hasText: /^en$/i }).click();

  await ended.getByRole("button", { name: "Start again with the same topic" }).click();
  await expect(page).not.toHaveURL(new RegExp(`/jobs/${id}$`), { timeout: 30_000 });
  const again = await (await page.request.get(`/api/v1/jobs/${page.url().split("/").at(-1)}`)).json();
  expect(again.job).toMatchObject({
    topic: "Northern lights",
    segmentCount: 3,
    segmentSeconds: 4,
    aspect: "9:16",
    language: "en",
  });
  await page.request.post(`/api/v1/jobs/${again.job.id}/cancel`);
});

test.describe("Mini App", () => {
  test.use({ viewport: { width: 360, height: 740 }, hasTouch: true });

  test("balance and top-up through the bot; a cancelled video starts again with the same topic", async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const user = freshUser(5, "Timur");
    await mockTelegramClient(page, "light");
    await page.goto(miniAppUrl(signedInitData(user), "light"));
    await expect(form(page)).toBeVisible();
    await expect(creditLine(page)).toContainText("Balance: 100 credits");
    await page.getByText("4 min", { exact: true }).click();
    await expect(page.getByRole("button", { name: "Create video" })).toBeDisabled();
    await shoot(page, "tma-credits-short-light");
    await switchTheme(page, "dark");
    await shoot(page, "tma-credits-short-dark");
    await switchTheme(page, "light");
    // The top-up opens the bot's chat through Telegram, not inside the web view.
    await creditLine(page).getByRole("link", { name: "Buy credits in the bot" }).click();
    await expect
      .poll(async () => (await telegramCalls(page)).filter((c) => c.name === "web_app_open_tg_link"))
      .toEqual([{ name: "web_app_open_tg_link", params: { path_full: `/${E2E_BOT_USERNAME}?start=buy` } }]);
    await expect(page).toHaveURL(/\/tma/);

    await page.getByText("50 s", { exact: true }).click();
    await page.getByLabel("Topic").fill("How bread is baked");
    await page.getByRole("button", { name: "Create video" }).click();
    await expect(page).toHaveURL(/\/tma\/jobs\/[\w-]+$/);
    const firstId = page.url().split("/").at(-1)!;
    await page.getByRole("button", { name: "Cancel video" }).click();
    const ended = page.getByTestId("job-ended");
    await expect(ended).toContainText("This video was cancelled", { timeout: 30_000 });
    await expect(new StoryboardPage(page, "tma").status()).toHaveText("Cancelled");
    await shoot(page, "tma-cancelled-light");
    await ended.getByRole("button", { name: "Start again with the same topic" }).click();
    await expect(page).not.toHaveURL(new RegExp(`/tma/jobs/${firstId}$`), { timeout: 30_000 });
    const again = await (
      await page.request.get(`/api/v1/jobs/${page.url().split("/").at(-1)}`, {
        headers: { authorization: `tma ${signedInitData(user)}` },
      })
    ).json();
    expect(again.job).toMatchObject({ topic: "How bread is baked", segmentCount: 10, segmentSeconds: 5 });
    await page.getByRole("button", { name: "Cancel video" }).click();
    await expect(page.getByTestId("job-ended")).toBeVisible({ timeout: 30_000 });
  });
});
