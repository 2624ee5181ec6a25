import { expect, test } from "@playwright/test";
import { DashboardPage } from "./dashboard-page";

/**
 * The whole pipeline through the browser: topic → approve script → approve images → approve clips
 * → narrated MP4 in the player. Local providers and native ffmpeg; takes a minute or two.
 */
test("a topic becomes a video through the three approval gates", async ({ page, request }) => {
  test.setTimeout(300_000);
  const dashboard = new DashboardPage(page);
  await dashboard.open();
  await dashboard.createJob("Lighthouse at dawn", 3);
  const card = dashboard.jobCard("Lighthouse at dawn");

  await expect(card.getByRole("region", { name: "Script" })).toBeVisible({ timeout: 60_000 });
  await card.getByRole("button", { name: "Approve script" }).click();

  await card.getByRole("button", { name: "Approve 3 images" }).click({ timeout: 90_000 });
  await expect(card.getByRole("list", { name: "Segment images" }).getByRole("img")).toHaveCount(3);

  await card.getByRole("button", { name: "Approve 3 clips" }).click({ timeout: 120_000 });

  const video = card.locator("video");
  await expect(video).toBeVisible({ timeout: 150_000 });
  await expect(dashboard.statusOf(card)).toHaveText("Completed");
  await expect(card.getByRole("link", { name: "Download MP4" })).toBeVisible();

  const src = await video.getAttribute("src");
  expect(src).toMatch(/^\/api\/media\/video\/[0-9a-f]{2}\/[0-9a-f]{64}\.mp4$/);
  const response = await request.get(src!, { headers: { range: "bytes=0-1023" } });
  expect([200, 206]).toContain(response.status());
  expect(response.headers()["content-type"]).toBe("video/mp4");

  // The browser itself loads the MP4 through the media route (Range requests) and knows its length.
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.duration), { timeout: 15_000 })
    .toBeGreaterThan(5);

  await page.screenshot({ path: "test-results/dashboard.png", fullPage: true });
});
