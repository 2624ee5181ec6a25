import fs from "node:fs";
import path from "node:path";
import { expect, type Locator, type Page } from "@playwright/test";
import { pressMainButton } from "./telegram";

/** Folder the screen screenshots are written to. */
export const SCREENS_DIR = path.join("test-results", "screens");

/**
 * Saves a screenshot of the whole page as `test-results/screens/<name>.png` (only the window when
 * a dialog is open).
 */
export async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENS_DIR, { recursive: true });
  // Images in view finish loading, transitions settle.
  await page
    .waitForFunction(
      () =>
        Array.from(document.images)
          .filter((img) => {
            const box = img.getBoundingClientRect();
            return box.bottom > 0 && box.top < window.innerHeight && box.width > 0;
          })
          .every((img) => img.complete && img.naturalWidth > 0),
      undefined,
      { timeout: 15_000 },
    )
    .catch(() => undefined);
  await page.waitForTimeout(350);
  const file = path.join(SCREENS_DIR, `${name}.png`);
  const viewport = page.viewportSize();
  if (!viewport || (await page.getByRole("dialog").count()) > 0) {
    await page.screenshot({ path: file });
    return;
  }
  // A window as tall as the page, so sticky bars sit where they end up, not mid-page.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, height) });
  await page.waitForTimeout(150);
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
}

/**
 * Page object of the storyboard editor on either surface: the dashboard's job page (primary
 * action = a button) or the Mini App's (primary action = Telegram's MainButton).
 */
export class StoryboardPage {
  constructor(
    readonly page: Page,
    readonly surface: "dashboard" | "tma",
  ) {}

  /** The status badge. */
  status(): Locator {
    return this.page.getByTestId("job-status");
  }

  /** The narration field of preview segment `n` (1-based) in the script review. */
  segmentNarration(n: number): Locator {
    return this.page.getByLabel(`Segment ${n}`, { exact: true });
  }

  /** The image grid. */
  imageGrid(): Locator {
    return this.page.getByRole("list", { name: "Segment images" });
  }

  /** The clip grid. */
  clipGrid(): Locator {
    return this.page.getByRole("list", { name: "Segment clips" });
  }

  /** The tile that opens segment `n` (1-based) of the image grid. */
  imageTile(n: number): Locator {
    return this.page.getByRole("button", { name: `Open segment ${n}`, exact: true });
  }

  /** The open segment sheet. */
  sheet(): Locator {
    return this.page.getByRole("dialog");
  }

  /** Triggers the gate's primary action once it reads `label` and is enabled. */
  async approve(label: string): Promise<void> {
    if (this.surface === "tma") {
      await pressMainButton(this.page, label, 120_000);
      return;
    }
    const button = this.page.getByRole("button", { name: label, exact: true });
    await expect(button).toBeEnabled({ timeout: 120_000 });
    await button.click();
  }

  /** Waits until every tile of a grid is ready (no rendering placeholders). */
  async waitAllReady(grid: Locator, count: number): Promise<void> {
    await expect(grid.locator('li[data-status="ready"]')).toHaveCount(count, { timeout: 120_000 });
  }

  /** Starts the final video muted and waits until its currentTime advances past `seconds`. */
  async playFinalVideo(seconds = 1): Promise<void> {
    const video = this.page.getByRole("region", { name: "Video" }).locator("video");
    await expect(video).toBeVisible({ timeout: 180_000 });
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 20_000 })
      .toBeGreaterThan(seconds);
  }
}
