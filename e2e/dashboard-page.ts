import { expect, type Locator, type Page } from "@playwright/test";

/** Page object of the dashboard at `/`: the "New video" form and the job cards. */
export class DashboardPage {
  constructor(readonly page: Page) {}

  /** Opens the dashboard and waits until the job list has loaded. */
  async open(): Promise<void> {
    await this.page.goto("/");
    await expect(this.page.getByRole("heading", { name: "Kadr" })).toBeVisible();
    await expect(this.page.getByText("Loading…")).toHaveCount(0);
  }

  /** Fills the form and submits it; `segments` must be one of the select's options (3–60). */
  async createJob(topic: string, segments = 10): Promise<void> {
    await this.page.getByLabel("Topic").fill(topic);
    await this.page.getByLabel("Segments").selectOption(String(segments));
    await this.page.getByRole("button", { name: "Create video" }).click();
  }

  /** The card of the job with this topic. */
  jobCard(topic: string): Locator {
    return this.page.getByRole("article", { name: topic });
  }

  /** The status badge text inside a job card. */
  statusOf(card: Locator): Locator {
    return card.getByTestId("job-status");
  }
}
