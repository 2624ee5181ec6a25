import { expect, test } from "@playwright/test";

test("dashboard renders its heading", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Kadr" })).toBeVisible();
});
