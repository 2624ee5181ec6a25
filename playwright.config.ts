import { defineConfig } from "@playwright/test";

const port = Number(process.env.KADR_E2E_PORT ?? 3210);

/** e2e runs against the production build in Debian's Chromium (no browser downloads). */
export default defineConfig({
  testDir: "e2e",
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    },
  },
  webServer: {
    command: `rm -rf .data/e2e && npx next build && npx next start --hostname 127.0.0.1 --port ${port}`,
    url: `http://127.0.0.1:${port}`,
    timeout: 300_000,
    reuseExistingServer: false,
    env: { KADR_DATA_DIR: ".data/e2e" },
  },
});
