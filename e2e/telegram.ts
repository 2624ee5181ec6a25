/**
 * Test-side Telegram: the bot token the e2e server runs with, initData and Login Widget data
 * signed with it, and a mocked Telegram client inside the page for the Mini App.
 *
 * The mock is what `@tma.js/sdk` talks to in a real WebView: launch parameters in the URL hash
 * (`tgWebAppData`, `tgWebAppVersion`, `tgWebAppPlatform`, `tgWebAppThemeParams`,
 * `tgWebAppStartParam`), `window.TelegramWebviewProxy.postEvent(name, json)` for calls from the
 * app (recorded in `window.__tg.events`, theme/viewport/safe-area requests answered), and
 * `window.Telegram.WebView.receiveEvent(name, payload)` for events to the app (main button presses,
 * theme changes).
 */
import { createHash, createHmac } from "node:crypto";
import { expect, type Page } from "@playwright/test";
import { sign } from "@tma.js/init-data-node";

/** The bot token the e2e server is started with (playwright.config.ts). */
export const E2E_BOT_TOKEN = "7000000001:E2E-kadr-test-token";
/** The bot username the e2e server advertises for the Login Widget. */
export const E2E_BOT_USERNAME = "kadr_e2e_bot";
/** initData older than this (seconds) is refused by the e2e server. */
export const E2E_INIT_DATA_MAX_AGE = 3600;
/** Port of the e2e server (KADR_E2E_PORT, default 3210). */
export const E2E_PORT = Number(process.env.KADR_E2E_PORT ?? 3210);
/**
 * Port of the fake Bot API a spec starts (lib/telegram/fake-bot-api.ts) and the e2e server's bot
 * talks to (TELEGRAM_API_ROOT): the next one after the server's.
 */
export const E2E_BOT_API_PORT = E2E_PORT + 1;
/** The webhook secret the e2e server is started with: specs post bot updates with it. */
export const E2E_WEBHOOK_SECRET = "e2e-webhook-secret";
/** PUBLIC_URL of the e2e server: the origin of the links its bot sends (https, as Telegram needs). */
export const E2E_PUBLIC_URL = "https://kadr.e2e.example";

/** A Telegram user of the tests. */
export interface TestUser {
  id: number;
  first_name: string;
  language_code?: string;
}

/** Mini App initData for `user`, signed with the e2e bot token (or another token). */
export function signedInitData(
  user: TestUser,
  options: { authDate?: Date; startParam?: string; token?: string } = {},
): string {
  return sign(
    {
      user,
      chat_type: "sender",
      chat_instance: "-1",
      ...(options.startParam ? { start_param: options.startParam } : {}),
    } as never,
    options.token ?? E2E_BOT_TOKEN,
    options.authDate ?? new Date(),
  );
}

/** Login Widget data for `user` signed as Telegram does (key SHA256(bot token)). */
export function signedLoginWidget(user: TestUser): Record<string, string | number> {
  const fields: Record<string, string | number> = {
    id: user.id,
    first_name: user.first_name,
    auth_date: Math.floor(Date.now() / 1000),
  };
  const checkString = Object.keys(fields)
    .sort()
    .map((key) => `${key}=${fields[key]}`)
    .join("\n");
  const key = createHash("sha256").update(E2E_BOT_TOKEN).digest();
  return { ...fields, hash: createHmac("sha256", key).update(checkString).digest("hex") };
}

/** Signs the page's browser context in to the dashboard (session cookie) as `user`. */
export async function signInDashboard(page: Page, user: TestUser): Promise<void> {
  const response = await page.request.post("/api/v1/auth/telegram-login", { data: signedLoginWidget(user) });
  expect(response.status(), await response.text()).toBe(200);
}

/** Telegram's light and dark theme params (as the iOS client sends them). */
export const THEMES = {
  light: {
    bg_color: "#ffffff",
    secondary_bg_color: "#efeff4",
    section_bg_color: "#ffffff",
    text_color: "#000000",
    hint_color: "#8e8e93",
    link_color: "#007aff",
    button_color: "#007aff",
    button_text_color: "#ffffff",
    header_bg_color: "#f8f8f8",
    accent_text_color: "#007aff",
    section_header_text_color: "#6d6d72",
    subtitle_text_color: "#8e8e93",
    destructive_text_color: "#ff3b30",
    bottom_bar_bg_color: "#f2f2f2",
  },
  dark: {
    bg_color: "#000000",
    secondary_bg_color: "#1c1c1d",
    section_bg_color: "#2c2c2e",
    text_color: "#ffffff",
    hint_color: "#98989e",
    link_color: "#3e88f7",
    button_color: "#3e88f7",
    button_text_color: "#ffffff",
    header_bg_color: "#1a1a1a",
    accent_text_color: "#3e88f7",
    section_header_text_color: "#8d8e93",
    subtitle_text_color: "#98989e",
    destructive_text_color: "#eb5545",
    bottom_bar_bg_color: "#1d1d1d",
  },
} as const;

/** The Mini App's URL with launch parameters in the hash, as Telegram opens it. */
export function miniAppUrl(initData: string, theme: keyof typeof THEMES, startParam?: string): string {
  const params = new URLSearchParams({
    tgWebAppData: initData,
    tgWebAppVersion: "8.0",
    tgWebAppPlatform: "android",
    tgWebAppThemeParams: JSON.stringify(THEMES[theme]),
    ...(startParam ? { tgWebAppStartParam: startParam } : {}),
  });
  return `/tma#${params.toString()}`;
}

/** One call the app made to the mocked Telegram client. */
export interface TelegramCall {
  name: string;
  params?: Record<string, unknown>;
}

/** Installs the mocked Telegram client in every document the page loads. */
export async function mockTelegramClient(page: Page, theme: keyof typeof THEMES): Promise<void> {
  await page.addInitScript(
    (themeParams) => {
      type TgWindow = Window & {
        __tg: { events: { name: string; params?: Record<string, unknown> }[]; theme: Record<string, string> };
        TelegramWebviewProxy: { postEvent: (name: string, data?: string) => void };
        Telegram?: { WebView?: { receiveEvent?: (name: string, payload?: unknown) => void } };
      };
      const w = window as unknown as TgWindow;
      w.__tg = { events: [], theme: themeParams };
      const emit = (name: string, payload?: unknown) =>
        setTimeout(() => w.Telegram?.WebView?.receiveEvent?.(name, payload), 0);
      const insets = { top: 0, bottom: 0, left: 0, right: 0 };
      w.TelegramWebviewProxy = {
        postEvent(name, data) {
          const params = data ? JSON.parse(data) : undefined;
          w.__tg.events.push({ name, params });
          if (name === "web_app_request_theme") emit("theme_changed", { theme_params: w.__tg.theme });
          if (name === "web_app_request_viewport") {
            emit("viewport_changed", {
              height: window.innerHeight,
              width: window.innerWidth,
              is_expanded: true,
              is_state_stable: true,
            });
          }
          if (name === "web_app_request_safe_area") emit("safe_area_changed", insets);
          if (name === "web_app_request_content_safe_area") emit("content_safe_area_changed", insets);
        },
      };
    },
    THEMES[theme] as Record<string, string>,
  );
  // The Login Widget and other telegram.org scripts are never needed offline.
  await page.route(/telegram\.org/, (route) => route.abort());
}

/** Every call the app made to the mocked client, in order. */
export async function telegramCalls(page: Page): Promise<TelegramCall[]> {
  return page.evaluate(() => (window as unknown as { __tg: { events: TelegramCall[] } }).__tg.events);
}

/** The main button as the app last configured it (`web_app_setup_main_button`). */
export async function mainButtonState(
  page: Page,
): Promise<{ text?: string; visible: boolean; active: boolean }> {
  const setups = (await telegramCalls(page)).filter((c) => c.name === "web_app_setup_main_button");
  const last = setups.at(-1)?.params ?? {};
  return {
    text: last.text as string | undefined,
    visible: last.is_visible === true,
    active: last.is_active === true,
  };
}

/** Waits until the main button shows `text` and is enabled, then presses it as Telegram would. */
export async function pressMainButton(page: Page, text: string | RegExp, timeout = 90_000): Promise<void> {
  await expect
    .poll(
      async () => {
        const state = await mainButtonState(page);
        const matches = typeof text === "string" ? state.text === text : text.test(state.text ?? "");
        return matches && state.visible && state.active;
      },
      { timeout, message: `main button "${text}"` },
    )
    .toBe(true);
  await page.evaluate(() =>
    (
      window as unknown as { Telegram: { WebView: { receiveEvent: (n: string) => void } } }
    ).Telegram.WebView.receiveEvent("main_button_pressed"),
  );
}

/** Switches the Mini App's theme as Telegram does when the user changes it. */
export async function switchTheme(page: Page, theme: keyof typeof THEMES): Promise<void> {
  await page.evaluate(
    (themeParams) => {
      const w = window as unknown as {
        __tg: { theme: Record<string, string> };
        Telegram: { WebView: { receiveEvent: (n: string, p: unknown) => void } };
      };
      w.__tg.theme = themeParams;
      w.Telegram.WebView.receiveEvent("theme_changed", { theme_params: themeParams });
    },
    THEMES[theme] as Record<string, string>,
  );
  await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
}
