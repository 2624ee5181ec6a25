/**
 * Bench section `web` (shared/BENCH.md): the storyboard UI from the production build in headless
 * Debian Chromium (`/usr/bin/chromium`, no downloads).
 *
 * - `tma_first_load_js_gzip_kB`: the JavaScript the Mini App route `/tma` needs until its first
 *   screen (the New video form) is interactive in a mocked Telegram client — every same-origin
 *   script the page fetched, each gzipped (level 9) and summed, in kB (1000 bytes). This includes
 *   the client-only SDK chunk loaded after hydration, so it is stricter than Next's "First Load JS"
 *   (only the `<script>` tags of the HTML), which is the `tma_html_js_gzip_kB` row. Goal ≤ 150 kB.
 * - `grid48_interactive_s` (dashboard `/jobs/:id`, 1280×800) and `tma_grid48_interactive_s`
 *   (Mini App `/tma/jobs/:id`, 360×740): time from navigation start until a 48-segment image grid
 *   is interactive — all 48 tiles rendered ready, the images in view decoded, and a tap on tile 1
 *   has opened its segment sheet. Fresh browser context (cold cache) per run, warm server; one
 *   warm-up, then 5 runs; median (p95 in the note). Goal ≤ 1.5 s.
 *
 * Setup: a temporary data dir is seeded in-process (local owner, one 48 × 5 s job waiting at the
 * images gate, 48 distinct 1280×720 images from the local renderer), then `next start` serves it in
 * local single-owner mode on a free loopback port. The build in `.next/` is reused when present
 * (its age is in the notes; `KADR_BENCH_WEB_REBUILD=1` rebuilds first); without one the section
 * runs `next build` (minutes on 2 cores).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { type Browser, chromium, type Page } from "@playwright/test";
import { eq } from "drizzle-orm";
import { assets, jobs, segments } from "@/lib/db/schema";
import { profileForAspect } from "@/lib/media/profile";
import { getProviders } from "@/lib/providers";
import { createRuntime } from "@/lib/runtime";
import { createJob, ensureLocalOwner } from "@/lib/studio/jobs";
import { type BenchRow, median, percentile } from "../types";

const SEGMENTS = 48;
const RUNS = 5;
const JS_GOAL_KB = 150;
const TTI_GOAL_S = 1.5;
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

/** Runs the section (see the module comment). */
export async function runWebBench(): Promise<BenchRow[]> {
  const row = (
    name: string,
    value: number,
    unit: string,
    goal: string,
    ok: boolean,
    note: string,
  ): BenchRow => ({
    section: "web",
    name,
    value,
    unit,
    goal,
    ok,
    note,
  });
  if (!fs.existsSync(CHROMIUM)) return [row("chromium", 0, "", "", false, `${CHROMIUM} is not installed`)];
  const build = await ensureBuild();
  const dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "kadr-bench-web-"));
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    const jobId = await seedGridJob(dataDir);
    const port = await freePort();
    server = startServer(dataDir, port);
    const origin = `http://127.0.0.1:${port}`;
    await waitForServer(`${origin}/api/v1/auth/config`, server);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

    const js = await measureTmaJs(browser, origin);
    const dashboard = await measureGrid(
      browser,
      `${origin}/jobs/${jobId}`,
      { width: 1280, height: 800 },
      false,
    );
    const tma = await measureGrid(browser, `${origin}/tma/jobs/${jobId}`, { width: 360, height: 740 }, true);
    const gridNote = (times: number[]) =>
      `${SEGMENTS}-segment image grid, 1 warm-up + ${RUNS} cold-cache runs, p95 ${(percentile(times, 95) / 1000).toFixed(2)} s; ${build}`;
    return [
      row(
        "tma_first_load_js_gzip_kB",
        js.allKb,
        "kB",
        `<= ${JS_GOAL_KB}`,
        js.allKb <= JS_GOAL_KB,
        `${js.files} scripts until the /tma form is interactive (incl. the client-only Telegram SDK chunk), gzip -9; ${build}`,
      ),
      row(
        "tma_html_js_gzip_kB",
        js.htmlKb,
        "kB",
        "",
        true,
        `only the <script> tags of /tma's HTML (Next's "First Load JS"), gzip -9`,
      ),
      row(
        "shared_framework_js_gzip_kB",
        js.sharedKb,
        "kB",
        "",
        true,
        "of the first row, the scripts the dashboard home loads too (React, Next's runtime): no route loads less",
      ),
      row(
        "grid48_interactive_s",
        median(dashboard) / 1000,
        "s",
        `<= ${TTI_GOAL_S}`,
        median(dashboard) / 1000 <= TTI_GOAL_S,
        `dashboard /jobs/:id 1280×800: ${gridNote(dashboard)}`,
      ),
      row(
        "tma_grid48_interactive_s",
        median(tma) / 1000,
        "s",
        `<= ${TTI_GOAL_S}`,
        median(tma) / 1000 <= TTI_GOAL_S,
        `Mini App /tma/jobs/:id 360×740 (mocked Telegram client): ${gridNote(tma)}`,
      ),
    ];
  } finally {
    await browser?.close().catch(() => undefined);
    await stopServer(server);
    await fs.promises.rm(dataDir, { recursive: true, force: true });
  }
}

/** Builds when asked to or when there is no build; describes the build used. */
async function ensureBuild(): Promise<string> {
  const buildId = path.resolve(".next/BUILD_ID");
  if (process.env.KADR_BENCH_WEB_REBUILD === "1" || !fs.existsSync(buildId)) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn("npx", ["next", "build"], { stdio: ["ignore", "ignore", "inherit"] });
      child.on("error", reject);
      child.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`next build exited with ${code}`)),
      );
    });
    return "fresh next build";
  }
  const ageMinutes = Math.round((Date.now() - fs.statSync(buildId).mtimeMs) / 60_000);
  return `reused .next build from ${ageMinutes} min ago`;
}

/**
 * Seeds `dataDir` with the local owner's 48 × 5 s job at the images gate: 48 ready segments, each
 * with its own image from the local renderer. Closes the database so the server can open it.
 * @returns the job id.
 */
async function seedGridJob(dataDir: string): Promise<string> {
  const runtime = await createRuntime({ dataDir });
  const { db } = runtime.dbHandle;
  try {
    const ownerId = await ensureLocalOwner(db);
    const deps = { db, sendEvent: async () => undefined, policy: { limits: null } };
    const job = await createJob(deps, ownerId, {
      topic: "Bench: a 48-segment storyboard",
      segmentCount: SEGMENTS,
      segmentSeconds: 5,
    });
    const image = getProviders({}).image;
    const profile = profileForAspect("16:9");
    for (let index = 0; index < SEGMENTS; index++) {
      const prompt = `Bench frame ${index + 1}: a lighthouse, variation ${index}`;
      const png = await image.renderImage({
        prompt,
        caption: `Frame ${index + 1}`,
        ...profile,
        seed: index + 1,
      });
      const blob = await runtime.store.putBuffer(png, "image", "png");
      const [asset] = await db
        .insert(assets)
        .values({
          kind: "image",
          storageKey: blob.key,
          sha256: blob.sha256,
          mime: "image/png",
          bytes: blob.bytes,
          width: profile.width,
          height: profile.height,
          provider: "local",
        })
        .returning();
      const section = index < SEGMENTS / 4 ? "intro" : index < (SEGMENTS * 3) / 4 ? "main" : "outro";
      await db.insert(segments).values({
        jobId: job.id,
        index,
        section,
        narration: `Narration of segment ${index + 1}.`,
        caption: `Frame ${index + 1}`,
        startSeconds: index * 5,
        seconds: 5,
        imagePrompt: prompt,
        imageStatus: "ready",
        imageAssetId: asset!.id,
        motionPrompt: "slow zoom in",
      });
    }
    await db.update(jobs).set({ status: "awaiting_images_approval" }).where(eq(jobs.id, job.id));
    return job.id;
  } finally {
    await runtime.dbHandle.close();
  }
}

/** `next start` on the build, local single-owner mode (no bot token), the seeded data dir. */
function startServer(dataDir: string, port: number): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, KADR_DATA_DIR: dataDir, NODE_ENV: "production" };
  delete env.TELEGRAM_BOT_TOKEN;
  delete env.DATABASE_URL;
  return spawn(
    path.resolve("node_modules/.bin/next"),
    ["start", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      env,
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    },
  );
}

async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server?.pid || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  process.kill(-server.pid, "SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (server.exitCode === null) process.kill(-server.pid, "SIGKILL");
}

async function waitForServer(url: string, server: ChildProcess): Promise<void> {
  let stderr = "";
  server.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`next start exited with ${server.exitCode}: ${stderr.slice(-500)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`next start did not answer ${url} within 60 s: ${stderr.slice(-500)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Telegram's client, as far as the Mini App asks it at start: theme and viewport requests answered,
 * every other event accepted.
 */
const TELEGRAM_CLIENT_MOCK = `
  window.TelegramWebviewProxy = {
    postEvent(name) {
      const emit = (event, payload) =>
        setTimeout(() => window.Telegram?.WebView?.receiveEvent?.(event, payload), 0);
      if (name === "web_app_request_theme") emit("theme_changed", { theme_params: { bg_color: "#ffffff" } });
      if (name === "web_app_request_viewport")
        emit("viewport_changed", {
          height: window.innerHeight, width: window.innerWidth, is_expanded: true, is_state_stable: true,
        });
    },
  };`;

/** The Mini App's launch parameters (local mode needs no signed initData) with the mocked client. */
async function openAsMiniApp(page: Page, pathAndQuery: string, origin: string): Promise<void> {
  // A string, not a function: tsx would wrap named functions in a `__name` helper the page lacks.
  await page.addInitScript({ content: TELEGRAM_CLIENT_MOCK });
  const params = new URLSearchParams({
    tgWebAppData: new URLSearchParams({
      user: JSON.stringify({ id: 1, first_name: "Bench" }),
      auth_date: String(Math.floor(Date.now() / 1000)),
      hash: "0".repeat(64),
      signature: "bench",
    }).toString(),
    tgWebAppVersion: "8.0",
    tgWebAppPlatform: "android",
    tgWebAppThemeParams: JSON.stringify({
      bg_color: "#ffffff",
      text_color: "#000000",
      button_color: "#007aff",
    }),
  });
  await page.goto(`${origin}${pathAndQuery}#${params.toString()}`);
}

/** JavaScript the Mini App's home needs, gzipped: all same-origin scripts, and the HTML's own. */
async function measureTmaJs(browser: Browser, origin: string) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  const scripts = new Map<string, Promise<Buffer>>();
  page.on("response", (response) => {
    const url = response.url();
    if (response.request().resourceType() === "script" && url.startsWith(origin))
      scripts.set(new URL(url).pathname, response.body());
  });
  await openAsMiniApp(page, "/tma", origin);
  await page.getByRole("form", { name: "New video" }).waitFor({ timeout: 60_000 });
  await page.waitForLoadState("networkidle");
  const htmlScripts = new Set(
    await page.evaluate(() =>
      Array.from(
        document.querySelectorAll("script[src]"),
        (s) => new URL((s as HTMLScriptElement).src).pathname,
      ),
    ),
  );
  // The HTML as served (before hydration added anything): its <script src> paths. A `noModule`
  // polyfill script is listed there but never fetched by Chromium, so only fetched scripts count.
  const scriptSources = async (route: string) => {
    const html = await (await fetch(`${origin}${route}`)).text();
    return new Set(Array.from(html.matchAll(/<script[^>]+src="([^"]+)"/g), (m) => m[1]!));
  };
  const servedScripts = await scriptSources("/tma");
  // The framework (React, Next's runtime): the scripts the dashboard home loads too.
  const dashboardScripts = await scriptSources("/");
  let allBytes = 0;
  let htmlBytes = 0;
  let sharedBytes = 0;
  for (const [pathname, body] of scripts) {
    const gzipped = zlib.gzipSync(await body, { level: 9 }).length;
    allBytes += gzipped;
    if (servedScripts.has(pathname) || (servedScripts.size === 0 && htmlScripts.has(pathname)))
      htmlBytes += gzipped;
    if (dashboardScripts.has(pathname)) sharedBytes += gzipped;
  }
  await context.close();
  return {
    allKb: allBytes / 1000,
    htmlKb: htmlBytes / 1000,
    sharedKb: sharedBytes / 1000,
    files: scripts.size,
  };
}

/**
 * Milliseconds from navigation start until the 48-tile grid is ready and tile 1's sheet opened,
 * once per run (after one warm-up), each in a fresh context.
 */
async function measureGrid(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number },
  miniApp: boolean,
): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const context = await browser.newContext({ viewport, hasTouch: miniApp });
    const page = await context.newPage();
    if (miniApp) {
      const target = new URL(url);
      await openAsMiniApp(page, target.pathname, target.origin);
    } else {
      await page.goto(url);
    }
    await page.waitForFunction(
      (count) => {
        const grid = document.querySelector('ul[aria-label="Segment images"]');
        if (!grid || grid.querySelectorAll('li[data-status="ready"]').length !== count) return false;
        return Array.from(grid.querySelectorAll("img")).every((img) => {
          const box = img.getBoundingClientRect();
          const inView = box.bottom > 0 && box.top < window.innerHeight;
          return !inView || (img.complete && img.naturalWidth > 0);
        });
      },
      SEGMENTS,
      { polling: "raf", timeout: 60_000 },
    );
    await page.getByRole("button", { name: "Open segment 1", exact: true }).click();
    await page.getByRole("dialog").waitFor({ timeout: 30_000 });
    const elapsed = await page.evaluate(() => performance.now());
    if (run > 0) times.push(elapsed);
    await context.close();
  }
  return times;
}
