/** The browser host and a Chromium page on it, as the UI tests drive them (Debian's Chromium through playwright-core). */
import { chromium, type Browser, type Page } from 'playwright-core';
import { startAppServer } from '../../app/api/server.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserApp {
  server: Awaited<ReturnType<typeof startAppServer>>;
  browser: Browser;
  page: Page;
  /** Uncaught page errors, console errors (a CSP violation is one) and failed requests, as they happen. */
  pageErrors: string[];
}

/** Serves the renderer build in `outDir` and opens it in Chromium (1280×860 unless told); close with closeBrowserApp. */
export async function startBrowserApp(outDir: string, configDir: string, viewport = { width: 1280, height: 860 }): Promise<BrowserApp> {
  const server = await startAppServer({ root: outDir, port: 0, configDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  const page = await browser.newPage({ viewport });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) pageErrors.push(`${r.request().method()} ${new URL(r.url()).pathname} answered ${r.status()}`);
  });
  await page.goto(server.url);
  return { server, browser, page, pageErrors };
}

export async function closeBrowserApp(a: BrowserApp | undefined): Promise<void> {
  await a?.browser.close();
  await a?.server.close();
}
