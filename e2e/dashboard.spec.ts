import { expect, test } from "@playwright/test";
import { DashboardPage } from "./dashboard-page";

test("dashboard renders its heading and the new video form", async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open();
  await expect(page.getByRole("form", { name: "New video" })).toBeVisible();
  await expect(page.getByLabel("Segments")).toHaveValue("10");
  await expect(page.getByLabel("Seconds each")).toHaveValue("5");
  await expect(page.getByLabel("16:9")).toBeChecked();
});

test("a created job is listed with its status and can be cancelled", async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open();
  const topic = `Quick check ${Date.now()}`;
  await dashboard.createJob(topic, 3);
  const card = dashboard.jobCard(topic);
  await expect(card).toBeVisible();
  await expect(dashboard.statusOf(card)).toHaveText(/Queued|Writing script|Script ready for review/);
  await expect(page.getByLabel("Topic")).toHaveValue("");

  await card.getByRole("button", { name: "Cancel" }).click();
  await expect(dashboard.statusOf(card)).toHaveText("Cancelled");
  await expect(card.getByRole("button", { name: "Cancel" })).toHaveCount(0);
});

test("the API's error message is shown inline", async ({ page }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.open();
  await dashboard.createJob("   ", 3);
  await expect(page.getByRole("form", { name: "New video" }).getByRole("alert")).toContainText(
    "The topic is empty",
  );
});
