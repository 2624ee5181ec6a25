import { defineConfig } from "@playwright/test";
import {
  E2E_BOT_API_PORT,
  E2E_BOT_TOKEN,
  E2E_BOT_USERNAME,
  E2E_INIT_DATA_MAX_AGE,
  E2E_PUBLIC_URL,
  E2E_WEBHOOK_SECRET,
  E2E_PORT as port,
} from "./e2e/telegram";

/**
 * e2e runs against the production build in Debian's Chromium (no browser downloads), one server
 * in Telegram mode: TELEGRAM_BOT_TOKEN is a test token the specs sign initData (Mini App) and
 * Login Widget data (dashboard sign-in) with, so both surfaces run their real auth paths against
 * one server and one database. Local single-owner mode (no token) is covered by the Vitest suites.
 * The server's bot takes updates at its webhook (TELEGRAM_WEBHOOK_SECRET) and answers through
 * TELEGRAM_API_ROOT, where a spec that needs the bot's replies runs the fake Bot API.
 */
export default defineConfig({
  testDir: "e2e",
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    },
  },
  webServer: {
    command: `rm -rf .data/e2e && npx next build && npx next start --hostname 127.0.0.1 --port ${port}`,
    url: `http://127.0.0.1:${port}/api/v1/auth/config`,
    timeout: 300_000,
    reuseExistingServer: false,
    env: {
      KADR_DATA_DIR: ".data/e2e",
      TELEGRAM_BOT_TOKEN: E2E_BOT_TOKEN,
      TELEGRAM_BOT_USERNAME: E2E_BOT_USERNAME,
      KADR_INIT_DATA_MAX_AGE: String(E2E_INIT_DATA_MAX_AGE),
      KADR_SESSION_SECRET: "e2e-session-secret-not-for-production",
      TELEGRAM_WEBHOOK_SECRET: E2E_WEBHOOK_SECRET,
      TELEGRAM_API_ROOT: `http://127.0.0.1:${E2E_BOT_API_PORT}`,
      PUBLIC_URL: E2E_PUBLIC_URL,
    },
  },
});
