/**
 * The browser host's token stays with its own origin. Browsers send a host's cookies to every
 * port of it, so a cookie would reach any other web server on 127.0.0.1 the user visits. In
 * Chromium: the page opened at the printed URL works (the zoo list comes from the token-checked
 * /api/zoo), its address bar no longer shows the token, the browser holds no cookie, and a second
 * local server on another port, visited next, receives no token in any header or URL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildRenderer } from './build-renderer.js';
import { startAppServer } from './server.js';
import { zooList } from './zoo-list.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('a second server on 127.0.0.1 receives no token from the page', { timeout: 120_000, skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium)` }, async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'seprune-scope-'));
  await buildRenderer(outDir);
  const app = await startAppServer({ root: outDir, port: 0, configDir: join(outDir, 'config'), warmJobProcess: false });
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const other = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>other</title><p>another local server</p>');
  });
  await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
  const otherPort = (other.address() as AddressInfo).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(app.url);
    // The Start page lists the zoo: the token-checked api answered the page.
    await page.waitForFunction(`document.querySelectorAll('code').length >= ${zooList().length}`, undefined, { timeout: 30_000 });
    const names = await page.$$eval('code', (cs) => cs.map((c) => c.textContent ?? '').filter((t) => t.startsWith('zoo:')));
    assert.deepEqual(names, zooList().map((z) => `zoo:${z.name}`));
    assert.equal(new URL(page.url()).search, '', `the address bar still shows ${page.url()}`);
    assert.deepEqual(await context.cookies(), []);
    // A reload keeps working (the tab's sessionStorage, which is per origin, port included).
    await page.reload();
    await page.waitForFunction(`document.querySelectorAll('code').length >= ${zooList().length}`, undefined, { timeout: 30_000 });

    await page.goto(`http://127.0.0.1:${otherPort}/`);
    await page.goto(`http://localhost:${otherPort}/x`);
    assert.ok(seen.length >= 2, `the other server saw ${seen.length} requests`);
    for (const r of seen) {
      assert.equal(r.headers.cookie, undefined, `cookie sent to the other server: ${r.headers.cookie}`);
      const all = `${r.url} ${JSON.stringify(r.headers)}`;
      assert.ok(!all.includes(app.token), `the token reached the other server: ${all}`);
    }
  } finally {
    await browser.close();
    other.close();
    await app.close();
    rmSync(outDir, { recursive: true, force: true });
  }
});
