/**
 * The page's lists come from the registries: with the throwaway reader, exporter and criterion
 * registered (./throwaway/register.ts, the one line each), the browser host's page in Chromium
 * accepts .toy files in its file input, opens one dropped on the window, offers toy-index in the
 * Prune view and toyfmt in the Export grid, with no edit to the UI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import './throwaway/register.js';
import { buildRenderer } from '../../app/api/build-renderer.js';
import { CHROMIUM, closeBrowserApp, startBrowserApp, type BrowserApp } from '../e2e/browser-app.js';


test('a new format, exporter and criterion appear in the page without touching the UI', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `This test drives the UI in Chromium, which is not installed at ${CHROMIUM}: install it with \`sudo apt-get install chromium\` (Debian; .ci/run installs it).`);
  const outDir = mkdtempSync(join(tmpdir(), 'seprune-registry-ui-'));
  const configDir = mkdtempSync(join(tmpdir(), 'seprune-registry-ui-config-'));
  await buildRenderer(outDir);
  let app: BrowserApp | undefined;
  try {
    app = await startBrowserApp(outDir, configDir);
    const { page, pageErrors } = app;
    await page.getByTestId('zoo-list').waitFor();
    await page.waitForFunction(`document.querySelector('[data-testid=file-input]')?.getAttribute('accept')?.includes('.toy')`, undefined, { timeout: 10_000 });
    assert.equal(await page.getByTestId('file-input').getAttribute('accept'), '.seprune,.onnx,.json,.bin,.toy,.tflite');
    assert.match(await page.locator('.muted', { hasText: 'or drop' }).innerText(), /\.toy, or \.tflite anywhere in the window/);

    // Drop a .toy file: uploaded, recognised as a model and opened by the throwaway reader.
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new TextEncoder().encode('se-resnet-demo\\n')], 'demo.toy'));
      const zone = document.querySelector('[data-testid=drop-zone]');
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await page.getByTestId('current-model').filter({ hasText: /demo\.toy$/ }).waitFor({ timeout: 20_000 });

    await page.getByRole('tab', { name: 'Prune' }).click();
    const criteria = await page.locator('#criterion option').allInnerTexts();
    assert.ok(criteria.includes('toy-index'), criteria.join(', '));
    await page.getByRole('tab', { name: 'Export' }).click();
    await page.getByTestId('export-toyfmt-fp32').waitFor({ timeout: 10_000 });
    assert.deepEqual(pageErrors, []);
  } finally {
    await closeBrowserApp(app);
    rmSync(outDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
});
