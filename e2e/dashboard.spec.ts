import { expect, type Page, test } from "@playwright/test";
import sharp from "sharp";
import { StoryboardPage, shoot } from "./storyboard-page";
import { signInDashboard } from "./telegram";

/** Screenshots of the current screen in the light and the dark colour scheme. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await shoot(page, `dashboard-${name}-light`);
  await page.emulateMedia({ colorScheme: "dark" });
  await shoot(page, `dashboard-${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
}

test.beforeEach(async ({ page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  await page.route(/telegram\.org/, (route) => route.abort());
});

test("an anonymous visitor gets the Telegram sign-in screen", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Sign in to Kadr" })).toBeVisible();
  await expect(page.getByRole("form", { name: "New video" })).toHaveCount(0);
  await shootBoth(page, "sign-in");
});

test("the whole flow in the dashboard: create, edit, approve, regenerate, play", async ({ page }) => {
  test.setTimeout(420_000);
  // A fresh Telegram user per run, so the history starts empty even against a reused database.
  const user = { id: 910_000_000 + (Date.now() % 1_000_000), first_name: "Dasha" };
  await signInDashboard(page, user);
  const editor = new StoryboardPage(page, "dashboard");

  await page.goto("/");
  await expect(page.getByRole("form", { name: "New video" })).toBeVisible();
  await expect(page.getByText("No videos yet")).toBeVisible();
  await shootBoth(page, "home-empty");

  // Create: 3 segments of 5 s.
  await page.getByLabel("Topic").fill("Lighthouse at dawn");
  await page.getByText("Custom", { exact: true }).click();
  await page.getByLabel("Segments").selectOption("3");
  await page.getByRole("button", { name: "Create video" }).click();
  await expect(page).toHaveURL(/\/jobs\/[\w-]+$/);
  const jobId = page.url().split("/").at(-1)!;

  // Script gate: edit one segment's narration.
  const narration = editor.segmentNarration(2);
  await expect(narration).toBeEditable({ timeout: 60_000 });
  await expect(editor.status()).toHaveText("Script ready for review");
  await shootBoth(page, "script");
  const edited = "Keepers climb the tower and light the great lamp before the ships come home.";
  await narration.fill(edited);
  await page.getByRole("heading", { level: 1 }).click();
  await expect(page.getByText("Saved")).toBeVisible();
  const afterEdit = await (await page.request.get(`/api/v1/jobs/${jobId}`)).json();
  expect(Object.values(afterEdit.job.script.sections).join(" ")).toContain(edited);
  await page.setViewportSize({ width: 360, height: 780 });
  await shoot(page, "dashboard-script-360-light");
  await page.setViewportSize({ width: 1280, height: 800 });

  await editor.approve("Approve script");

  // Images gate: the edited narration reached the planned segments.
  await editor.waitAllReady(editor.imageGrid(), 3);
  const planned = await (await page.request.get(`/api/v1/jobs/${jobId}`)).json();
  expect(planned.segments.map((s: { narration: string }) => s.narration).join(" ")).toContain(
    "light the great lamp",
  );
  await shootBoth(page, "images");

  // Regenerate image 2 with a new prompt.
  const tile = editor.imageTile(2);
  const before = await tile.locator("img").getAttribute("src");
  await tile.click();
  await expect(editor.sheet()).toBeVisible();
  await shootBoth(page, "image-sheet");
  await editor.sheet().getByLabel("Image prompt").fill("a red lighthouse in a storm, dramatic clouds");
  await editor.sheet().getByRole("button", { name: "Regenerate image" }).click();
  await expect(editor.sheet()).toHaveCount(0);
  await expect(tile.locator("img")).not.toHaveAttribute("src", before!, { timeout: 90_000 });
  await editor.waitAllReady(editor.imageGrid(), 3);
  const regenerated = await (await page.request.get(`/api/v1/jobs/${jobId}`)).json();
  expect(regenerated.segments[1]).toMatchObject({
    imagePrompt: "a red lighthouse in a storm, dramatic clouds",
    imageVariation: 1,
    imageStatus: "ready",
  });

  // Upload an own picture for image 1: cropped to the 1280×720 frame.
  const photo = await sharp({ create: { width: 900, height: 900, channels: 3, background: "#1d4ed8" } })
    .jpeg()
    .toBuffer();
  const firstTile = editor.imageTile(1);
  const firstBefore = await firstTile.locator("img").getAttribute("src");
  await firstTile.click();
  await editor
    .sheet()
    .getByLabel("Upload image")
    .setInputFiles({ name: "own.jpg", mimeType: "image/jpeg", buffer: photo });
  await expect(firstTile.locator("img")).not.toHaveAttribute("src", firstBefore!, { timeout: 30_000 });
  await editor.sheet().getByRole("button", { name: "Close" }).first().click();
  const uploadedSrc = await firstTile.locator("img").getAttribute("src");
  const uploaded = await sharp(await (await page.request.get(uploadedSrc!)).body()).metadata();
  // The grid shows the upload's 320 px WebP thumbnail: the square photo cropped to the 16:9 frame.
  expect([uploaded.format, uploaded.width, uploaded.height]).toEqual(["webp", 320, 180]);

  await editor.approve("Approve 3 images");

  // Clips gate: a clip plays on tap.
  await editor.waitAllReady(editor.clipGrid(), 3);
  const clip = page.getByRole("button", { name: "Play clip 1" });
  await clip.click();
  await expect(clip).toHaveAttribute("aria-pressed", "true");
  await clip.click();
  await shootBoth(page, "clips");
  await editor.approve("Approve 3 clips");

  // Final: the video plays.
  await editor.playFinalVideo();
  await expect(editor.status()).toHaveText("Completed");
  await expect(page.getByRole("link", { name: "Download MP4" })).toBeVisible();
  // Captions: the default WebVTT track (GET /api/v1/jobs/:id/captions.vtt) loads with its cues.
  const track = page.getByRole("region", { name: "Video" }).locator("video track[kind=captions]");
  await expect(track).toHaveAttribute("srclang", /^(en|ru)$/);
  await expect.poll(() => track.evaluate((t: HTMLTrackElement) => t.readyState), { timeout: 15_000 }).toBe(2);
  expect(await track.evaluate((t: HTMLTrackElement) => t.track.cues?.length ?? 0)).toBeGreaterThanOrEqual(3);
  // Signed in with Telegram on a server with a bot: the video can be sent to the chat.
  await expect(page.getByRole("button", { name: "Send to Telegram chat" })).toBeVisible();
  await expect(page.getByTestId("job-cost")).toContainText("Spent so far:");
  await page
    .getByRole("region", { name: "Video" })
    .locator("video")
    .evaluate((v: HTMLVideoElement) => {
      v.pause();
      v.currentTime = 1; // a frame with a caption on screen for the screenshot
    });
  await shootBoth(page, "final");

  // History lists the video with its status.
  await page.getByRole("link", { name: "History" }).click();
  const row = page.getByRole("link", { name: "Lighthouse at dawn" });
  await expect(row).toBeVisible();
  await expect(row.getByTestId("job-status")).toHaveText("Completed");
  await shootBoth(page, "history");
});
