/**
 * End to end in a real browser: the renderer build served by the browser host
 * (app/api/server.ts), driven in Debian's Chromium through playwright-core. Opens
 * zoo:se-mobilenet-demo, gathers gate statistics on 200 fashion-mnist images, checks the
 * heatmap's channel count against the model summary, previews a 50% MACs prune and checks the
 * shown MACs equal `seprune prune --preview --json`'s, runs it, checks params went down, undoes.
 * Screenshots of each view go to test-artifacts/ui/ (git-ignored).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { buildRenderer } from '../../app/api/build-renderer.js';
import { startAppServer } from '../../app/api/server.js';
import { loadModel } from '../../app/model/load.js';
import { summarize } from '../../app/model/summary.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MODEL = 'zoo:se-mobilenet-demo';
const root = fileURLToPath(new URL('../..', import.meta.url));
const shots = join(root, 'test-artifacts', 'ui');

interface PreviewJson {
  paramsBefore: number;
  paramsAfter: number;
  macsBefore: number;
  macsAfter: number;
}

/** `seprune prune … --preview --json`, the numbers the UI must show. */
async function cliPreview(): Promise<PreviewJson> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(root, 'bin', 'seprune.mjs'), 'prune', MODEL, '--data', 'fashion-mnist', '--limit', '200', '--target-macs', '0.5', '--preview', '--json'],
    { timeout: 60_000, maxBuffer: 16 << 20 },
  );
  return JSON.parse(stdout) as PreviewJson;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test('browser mode: open a zoo model, gather statistics, see the heatmap, preview and run a 50% MACs prune, undo', { timeout: 120_000 }, async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `This test drives the UI in Chromium, which is not installed at ${CHROMIUM}: install it with \`sudo apt-get install chromium\` (Debian; .ci/run installs it).`,
  );
  mkdirSync(shots, { recursive: true });
  const outDir = mkdtempSync(join(tmpdir(), 'seprune-ui-'));
  const [ref] = await Promise.all([cliPreview(), buildRenderer(outDir)]);
  const summary = summarize((await loadModel(MODEL)).project.graph);
  const server = await startAppServer({ root: outDir, port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`${r.request().method()} ${new URL(r.url()).pathname} answered ${r.status()}`);
    });
    await page.goto(server.url);

    // Start: the zoo, then open the model.
    await page.getByTestId('zoo-list').waitFor();
    assert.equal(await page.locator('[data-testid=zoo-list] li').count(), (await server.service.listZoo()).length);
    await shot(page, '1-start');

    // A mistake shows as one readable sentence, and can be dismissed.
    await page.getByTestId('model-path').fill('/no/such/model.onnx');
    await page.getByTestId('model-path').press('Enter');
    await page.getByTestId('error').filter({ hasText: 'Model file /no/such/model.onnx does not exist.' }).waitFor();
    await page.getByRole('button', { name: 'Dismiss the error' }).click();
    assert.deepEqual(pageErrors.splice(0), ['POST /api/openModel answered 400']);
    await page.getByRole('button', { name: `Open ${MODEL}` }).click();

    // Model: the diagram before statistics.
    await page.getByTestId('diagram').waitFor();
    assert.equal(await page.getByTestId('model-params').innerText(), `Params ${summary.params.toLocaleString('en-US')}`);
    assert.equal(await page.locator('[data-testid=diagram] button.se').count(), summary.seBlocks.length);

    // Statistics on 200 fashion-mnist images.
    await page.getByRole('tab', { name: 'Start' }).click();
    await page.getByTestId('data').fill('fashion-mnist');
    await page.getByTestId('limit').fill('200');
    await page.getByTestId('run-stats').click();
    await page.getByTestId('stats-summary').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('stats-summary').innerText(), /200 images/);
    await shot(page, '2-start-with-stats');

    await page.getByRole('tab', { name: 'Model' }).click();
    await page.locator('[data-testid=diagram] button.se.filled').first().waitFor();
    assert.equal(await page.locator('[data-testid=diagram] button.se.filled').count(), summary.seBlocks.length);
    await shot(page, '3-model');

    // Channel importance: every block's heatmap has one column per gated channel.
    await page.getByRole('tab', { name: 'Channel importance' }).click();
    for (const b of [summary.seBlocks[0], summary.seBlocks[summary.seBlocks.length - 1]]) {
      await page.getByTestId('se-pick').selectOption(b.name);
      const heat = page.getByTestId('heatmap');
      await heat.waitFor();
      assert.equal(Number(await heat.getAttribute('data-channels')), b.channels, b.name);
      assert.equal(Number(await heat.getAttribute('data-classes')), 10);
      assert.match((await heat.getAttribute('aria-label')) ?? '', new RegExp(`${b.channels} channels × 10 classes`));
    }
    await page.getByTestId('se-pick').selectOption(summary.seBlocks[1].name);
    await shot(page, '4-importance');

    // Prune: the preview of a 50% MACs target equals the CLI's.
    await page.getByRole('tab', { name: 'Prune' }).click();
    await page.getByTestId('target').fill('0.5');
    const macs = page.getByTestId('preview-macs');
    await macs.waitFor();
    await page.locator(`[data-testid=preview-macs][data-value="${ref.macsAfter}"]`).waitFor({ timeout: 10_000 });
    assert.equal(Number(await macs.getAttribute('data-value')), ref.macsAfter);
    assert.equal(await macs.innerText(), ref.macsAfter.toLocaleString('en-US'));
    assert.equal(Number(await page.getByTestId('preview-params').getAttribute('data-value')), ref.paramsAfter);
    await shot(page, '5-prune-preview');

    // The importance view now draws the preview's threshold on the sorted gates.
    await page.getByRole('tab', { name: 'Channel importance' }).click();
    await page.getByTestId('importance-bars').waitFor();
    await shot(page, '6-importance-threshold');

    // Run it: params go down, the model becomes the pruned one.
    await page.getByRole('tab', { name: 'Prune' }).click();
    await page.getByTestId('run-prune').click();
    const report = page.getByTestId('report-params');
    await report.waitFor({ timeout: 40_000 });
    const paramsAfter = Number(await report.getAttribute('data-value'));
    assert.ok(paramsAfter < ref.paramsBefore, `${paramsAfter} < ${ref.paramsBefore}`);
    assert.ok(paramsAfter <= ref.paramsAfter, 'SE folding only removes more');
    assert.equal(Number(await page.getByTestId('report-macs').getAttribute('data-value')) <= ref.macsAfter, true);
    await shot(page, '7-prune-done');
    await page.getByRole('tab', { name: 'Model' }).click();
    assert.equal(await page.getByTestId('model-params').innerText(), `Params ${paramsAfter.toLocaleString('en-US')}`);

    // Undo returns to the original model; the dark theme renders the same view.
    await page.getByRole('tab', { name: 'Prune' }).click();
    await page.getByTestId('undo').click();
    await page.getByRole('tab', { name: 'Model' }).click();
    await page.getByTestId('model-params').filter({ hasText: summary.params.toLocaleString('en-US') }).waitFor();
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByRole('tab', { name: 'Channel importance' }).click();
    await shot(page, '8-importance-dark');

    assert.equal(await page.getByTestId('error').count(), 0, 'no error shown');
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
});
