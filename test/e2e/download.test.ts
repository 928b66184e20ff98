/**
 * Browser mode's download of an export, in Chromium against the browser host: open a zoo model,
 * export ONNX fp32 into a folder on the host's machine, press the file's Download button and get
 * the written bytes as a browser download (fetched with the token header, saved through a Blob),
 * with no CSP violation or failed request on the page. The TFLite int8 input/output choice
 * appears only while TFLite int8 is ticked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRenderer } from '../../app/api/build-renderer.js';
import { CHROMIUM, closeBrowserApp, startBrowserApp, type BrowserApp } from './browser-app.js';

test('an exported file downloads byte-identical in the browser', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `This test drives the UI in Chromium, which is not installed at ${CHROMIUM}.`);
  const outDir = mkdtempSync(join(tmpdir(), 'seprune-dl-ui-'));
  const configDir = mkdtempSync(join(tmpdir(), 'seprune-dl-ui-config-'));
  const exportDir = mkdtempSync(join(tmpdir(), 'seprune-dl-ui-export-'));
  await buildRenderer(outDir);
  let app: BrowserApp | undefined;
  try {
    app = await startBrowserApp(outDir, configDir);
    const { page, pageErrors } = app;
    await page.getByTestId('zoo-list').waitFor();
    await page.getByRole('button', { name: 'Open zoo:se-mobilenet-demo', exact: true }).click();
    await page.getByTestId('current-model').filter({ hasText: /zoo:se-mobilenet-demo$/ }).waitFor({ timeout: 20_000 });

    await page.getByRole('tab', { name: 'Export' }).click();
    await page.getByTestId('export-onnx-int8').waitFor();
    assert.equal(await page.getByTestId('export-tflite-io').count(), 0, 'no I/O choice without TFLite int8');
    await page.getByTestId('export-tflite-int8').check();
    await page.getByTestId('export-tflite-io').waitFor();
    await page.getByTestId('export-tflite-int8').uncheck();
    await page.getByTestId('export-onnx-int8').uncheck();
    await page.getByTestId('export-onnx-fp32').check();
    assert.equal(await page.getByTestId('export-tflite-io').count(), 0);
    await page.getByTestId('export-dir').fill(exportDir);
    await page.getByTestId('export-limit').fill('8');
    await page.getByTestId('run-export').click();
    const button = page.getByTestId('export-download');
    await button.first().waitFor({ timeout: 60_000 });
    assert.equal(await button.count(), 1);

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), button.first().click()]);
    const [written] = readdirSync(exportDir).filter((f) => f.endsWith('.onnx'));
    assert.equal(download.suggestedFilename(), written);
    const saved = await download.path();
    assert.ok(readFileSync(saved).equals(readFileSync(join(exportDir, written))), 'the downloaded bytes are the written file');
    assert.deepEqual(pageErrors, []);
  } finally {
    await closeBrowserApp(app);
    for (const d of [outDir, configDir, exportDir]) rmSync(d, { recursive: true, force: true });
  }
});
