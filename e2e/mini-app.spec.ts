import { expect, type Page, test } from "@playwright/test";
import { StoryboardPage, shoot } from "./storyboard-page";
import {
  mainButtonState,
  miniAppUrl,
  mockTelegramClient,
  signedInitData,
  switchTheme,
  telegramCalls,
} from "./telegram";

/** Screenshots of the current Mini App screen in Telegram's light and dark themes. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await shoot(page, `tma-${name}-light`);
  await switchTheme(page, "dark");
  await shoot(page, `tma-${name}-dark`);
  await switchTheme(page, "light");
}

/** A fresh Telegram user per run, so the history starts empty even against a reused database. */
const user = { id: 920_000_000 + (Date.now() % 1_000_000), first_name: "Timur", language_code: "en" };

test.use({ viewport: { width: 360, height: 740 }, hasTouch: true });

test("the whole flow in the Mini App, driven by Telegram's MainButton", async ({ page }) => {
  test.setTimeout(420_000);
  await mockTelegramClient(page, "light");
  await page.goto(miniAppUrl(signedInitData(user), "light"));
  const editor = new StoryboardPage(page, "tma");

  // The SDK is initialized: theme bound to CSS variables, app ready, light theme applied.
  await expect(page.getByRole("form", { name: "New video" })).toBeVisible();
  await expect(page.locator("html")).toHaveClass(/\btma\b/);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  expect(
    await page.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue("--tg-theme-button-color"),
    ),
  ).toBe("#007aff");
  expect((await telegramCalls(page)).map((c) => c.name)).toContain("web_app_ready");
  await shootBoth(page, "home-empty");

  await page.getByLabel("Topic").fill("How bread is baked");
  await page.getByText("Custom", { exact: true }).click();
  await page.getByLabel("Segments", { exact: true }).selectOption("3");
  await page.getByRole("button", { name: "Create video" }).click();
  await expect(page).toHaveURL(/\/tma\/jobs\/[\w-]+$/);
  const jobId = page.url().split("/").at(-1)!;

  // The BackButton is shown on the job page.
  await expect
    .poll(
      async () =>
        (await telegramCalls(page)).filter((c) => c.name === "web_app_setup_back_button").at(-1)?.params
          ?.is_visible,
    )
    .toBe(true);

  // Script gate: MainButton reads "Approve script"; editing disables vertical swipes.
  const narration = editor.segmentNarration(2);
  await expect(narration).toBeEditable({ timeout: 60_000 });
  await expect.poll(async () => (await mainButtonState(page)).text).toBe("Approve script");
  await shootBoth(page, "script");
  await narration.focus();
  await expect
    .poll(
      async () =>
        (await telegramCalls(page)).filter((c) => c.name === "web_app_setup_swipe_behavior").at(-1)?.params,
    )
    .toEqual({ allow_vertical_swipe: false });
  const edited = "Bakers knead the dough by hand and let it rest in a warm corner overnight.";
  await narration.fill(edited);
  await editor.approve("Approve script"); // commits the edit first, then approves
  await expect
    .poll(async () =>
      (await telegramCalls(page)).some(
        (c) => c.name === "web_app_trigger_haptic_feedback" && c.params?.notification_type === "success",
      ),
    )
    .toBe(true);

  // Images gate: regenerate image 3 with a new prompt (impact haptic), then approve.
  await editor.waitAllReady(editor.imageGrid(), 3);
  const view = await (await page.request.get(`/api/v1/jobs/${jobId}`)).json();
  expect(view.segments.map((s: { narration: string }) => s.narration).join(" ")).toContain(
    "rest in a warm corner",
  );
  await shootBoth(page, "images");
  const tile = editor.imageTile(3);
  const before = await tile.locator("img").getAttribute("src");
  await tile.click();
  await expect(editor.sheet()).toBeVisible();
  await shootBoth(page, "image-sheet");
  await editor.sheet().getByLabel("Image prompt").fill("golden loaves cooling on a wooden table");
  await editor.sheet().getByRole("button", { name: "Regenerate image" }).click();
  await expect(editor.sheet()).toHaveCount(0);
  await expect(tile.locator("img")).not.toHaveAttribute("src", before!, { timeout: 90_000 });
  expect(
    (await telegramCalls(page)).some(
      (c) => c.name === "web_app_trigger_haptic_feedback" && c.params?.type === "impact",
    ),
  ).toBe(true);
  await editor.approve("Approve 3 images");

  // Clips gate, then the final video.
  await editor.waitAllReady(editor.clipGrid(), 3);
  await shootBoth(page, "clips");
  await editor.approve("Approve 3 clips");
  await editor.playFinalVideo();
  await expect.poll(async () => (await mainButtonState(page)).visible).toBe(false);
  await page
    .getByRole("region", { name: "Video" })
    .locator("video")
    .evaluate((v: HTMLVideoElement) => v.pause());
  await shootBoth(page, "final");

  // A `startapp=<job id>` launch (here with a Russian client) lands on that job.
  const relaunch = await page.context().newPage();
  await mockTelegramClient(relaunch, "dark");
  const ruUser = { ...user, language_code: "ru" };
  await relaunch.goto(miniAppUrl(signedInitData(ruUser, { startParam: jobId }), "dark", jobId));
  await expect(relaunch).toHaveURL(new RegExp(`/tma/jobs/${jobId}$`));
  await expect(relaunch.getByTestId("job-status")).toHaveText("Готово");
  await expect(relaunch.getByRole("link", { name: "Скачать MP4" })).toBeVisible();
  await expect(relaunch.locator("html")).toHaveAttribute("data-theme", "dark");
  await shoot(relaunch, "tma-deep-link-ru-dark");

  // Back to the history with Telegram's BackButton.
  await relaunch.evaluate(() =>
    (
      window as unknown as { Telegram: { WebView: { receiveEvent: (n: string) => void } } }
    ).Telegram.WebView.receiveEvent("back_button_pressed"),
  );
  await expect(relaunch).toHaveURL(/\/tma$/);
  await expect(relaunch.getByRole("link", { name: "How bread is baked" })).toHaveAttribute(
    "href",
    `/tma/jobs/${jobId}`,
  );
  await shoot(relaunch, "tma-history-ru-dark");
});
