/**
 * The bot's one-time sign-in link end to end: a `/login` update posted to the e2e server's webhook,
 * the server's bot answering through the fake Bot API this spec runs (TELEGRAM_API_ROOT in
 * playwright.config.ts), the [Open dashboard] button's URL opened in Chromium, [Continue], the
 * dashboard signed in as that Telegram user — then the same link again (used) and a forged one,
 * each with its own page in the right language.
 */
import { expect, type Page, test } from "@playwright/test";
import { FakeBotApi } from "../lib/telegram/fake-bot-api";
import { shoot } from "./storyboard-page";
import {
  E2E_BOT_API_PORT,
  E2E_BOT_TOKEN,
  E2E_BOT_USERNAME,
  E2E_PUBLIC_URL,
  E2E_WEBHOOK_SECRET,
} from "./telegram";

let fake: FakeBotApi;

test.beforeAll(async () => {
  fake = await FakeBotApi.start({ token: E2E_BOT_TOKEN, username: E2E_BOT_USERNAME, port: E2E_BOT_API_PORT });
});
test.afterAll(async () => {
  await fake.close();
});
test.beforeEach(async ({ page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  await page.route(/telegram\.org/, (route) => route.abort());
});

/** Screenshots of the current screen in the light and the dark colour scheme. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await shoot(page, `login-link-${name}-light`);
  await page.emulateMedia({ colorScheme: "dark" });
  await shoot(page, `login-link-${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
}

test("/login in the bot gives a link that signs the browser in once", async ({ page }) => {
  const user = { id: 930_000_000 + (Date.now() % 1_000_000), first_name: "Ксения", language_code: "ru" };
  const webhook = await page.request.post("/api/telegram/webhook", {
    headers: { "x-telegram-bot-api-secret-token": E2E_WEBHOOK_SECRET },
    data: fake.textUpdate(user, "/login"),
  });
  expect(webhook.status(), await webhook.text()).toBe(200);
  const replyOf = () => fake.callsTo(user.id).find((c) => c.method === "sendMessage");
  await expect.poll(() => replyOf() !== undefined, { timeout: 15_000 }).toBe(true);
  const reply = replyOf()!;
  expect(String(reply.params.text)).toContain("действует 10 минут");
  const markup = reply.params.reply_markup as { inline_keyboard: { text: string; url: string }[][] };
  const button = markup.inline_keyboard[0]![0]!;
  expect(button.text).toBe("Открыть панель");
  const link = new URL(button.url);
  expect(`${link.origin}${link.pathname}`).toBe(`${E2E_PUBLIC_URL}/login`);
  // The link's origin is the public one; here the same server listens on the test port.
  const local = `/login${link.search}`;

  // Opening the link spends nothing: it asks to continue, in the user's language, with their name.
  await page.goto(local);
  await expect(page.getByRole("heading", { name: "Вход в Kadr" })).toBeVisible();
  await expect(page.getByText("Ксения", { exact: true })).toBeVisible();
  await expect(page.getByText("Ссылка одноразовая и действует ещё 10 мин.")).toBeVisible();
  await page.reload();
  await shootBoth(page, "continue");
  await page.setViewportSize({ width: 360, height: 740 });
  await shoot(page, "login-link-continue-360-light");
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole("button", { name: "Продолжить" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("form", { name: "New video" })).toBeVisible();
  await expect(page.getByRole("banner").getByText("Ксения")).toBeVisible();
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  expect(me).toMatchObject({ user: { telegramId: user.id, language: "ru" }, method: "session" });

  // The same link again: already used, said in Russian, with the way to a new one.
  await page.goto(local);
  await expect(page.getByRole("heading", { name: "Эта ссылка для входа уже использована" })).toBeVisible();
  await expect(page.getByRole("link", { name: `Открыть @${E2E_BOT_USERNAME}` })).toHaveAttribute(
    "href",
    `https://t.me/${E2E_BOT_USERNAME}`,
  );
  await shootBoth(page, "used");
  // Posting it anyway (a stale tab) lands on the same page, not in an error.
  const stale = await page.request.post("/api/v1/auth/login-link", {
    form: { token: link.searchParams.get("token")! },
    headers: { origin: new URL(page.url()).origin },
    maxRedirects: 0,
  });
  expect(stale.status()).toBe(303);
  expect(stale.headers().location).toBe(local);
});

test("a forged link shows a friendly page in the browser's language", async ({ browser }) => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`/login?token=${"x".repeat(43)}`);
  await expect(page.getByRole("heading", { name: "This sign-in link is not valid" })).toBeVisible();
  await expect(page.getByText("Send /login to the bot in Telegram to get a new link.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Continue" })).toHaveCount(0);
  await shoot(page, "login-link-unknown-light");
  await page.getByRole("link", { name: "Open the dashboard" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to Kadr" })).toBeVisible();
  await expect(page.getByRole("link", { name: /send \/login to the bot/ })).toHaveAttribute(
    "href",
    `https://t.me/${E2E_BOT_USERNAME}`,
  );
  await shoot(page, "login-link-sign-in-card-light");
  await context.close();
});
