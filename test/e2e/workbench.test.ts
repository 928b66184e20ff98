/**
 * The app as a workbench, end to end in Debian's Chromium on the browser host (issue 18):
 * - a job started at the bottom of the long Start view shows its progress, how it ended, and a
 *   failed job's sentence in the job panel, inside the viewport, with the page scrolled down;
 * - a pruned model exported as int8 ONNX, int8 TFLite and a TF.js graph model: each file opens
 *   read-only (its notice, the changing tabs off) and is compared with the float model it was
 *   exported from, in its own runtime, within 3 points of it;
 * - switching models resets the fine-tune run, the teacher and the compare choice; a 32×32×3
 *   model cannot be chosen as teacher or compared with a 28×28×1 one (flagged when chosen);
 * - a model without SE blocks prunes with l1;
 * - Save as (the app's own save dialog), a reload restores the session (models, current model,
 *   view, compare result), leaving with unsaved work asks first, and a fresh host reopens the file
 *   with every model;
 * - no console error on any view, light and dark, at 1400×900 and 900×700.
 * Screenshots go to test-artifacts/workbench/ (git-ignored).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildRenderer } from '../../app/api/build-renderer.js';
import { CHROMIUM, closeBrowserApp, startBrowserApp, type BrowserApp } from './browser-app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shots = join(root, 'test-artifacts', 'workbench');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

/** Opens a model by its path or zoo spec from Start; resolves once it is the current model. */
async function openSpec(page: Page, spec: string): Promise<void> {
  await page.getByRole('tab', { name: 'Start' }).click();
  const input = page.getByTestId('model-path');
  if (!(await input.isVisible())) await page.getByText('Type a path or zoo spec').click();
  const before = (await page.getByTestId('current-model').getAttribute('data-source')) ?? '';
  await input.fill(spec);
  await input.press('Enter');
  await page.locator(`[data-testid=current-model]:not([data-source=${JSON.stringify(before)}])`).waitFor({ timeout: 60_000 });
}

/** Whether the element lies wholly inside the viewport (no scrolling needed to see it). */
async function inView(page: Page, testId: string): Promise<boolean> {
  const box = await page.getByTestId(testId).first().boundingBox();
  const vp = page.viewportSize()!;
  return !!box && box.y >= 0 && box.y + box.height <= vp.height && box.x >= 0 && box.x + box.width <= vp.width;
}

const modelOptions = (page: Page): Promise<string[]> => page.locator('[data-testid=model-select] option').allInnerTexts();

test('workbench: jobs in view, exported files opened and compared, state follows the model, no-SE prune, save / reload / reopen, no console errors', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `This test drives the UI in Chromium, which is not installed at ${CHROMIUM}: install it with \`sudo apt-get install chromium\` (Debian; .ci/run installs it).`);
  mkdirSync(shots, { recursive: true });
  const outDir = mkdtempSync(join(tmpdir(), 'seprune-wb-'));
  const work = mkdtempSync(join(tmpdir(), 'seprune-wb-files-'));
  const configDir = mkdtempSync(join(tmpdir(), 'seprune-wb-config-'));
  await buildRenderer(outDir);
  let app: BrowserApp | undefined;
  let second: BrowserApp | undefined;
  try {
    app = await startBrowserApp(outDir, configDir, { width: 1400, height: 900 });
    const { page, pageErrors } = app;
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.accept();
    });
    await page.getByTestId('zoo-list').waitFor();

    // 1. A job started at the bottom of the long Start view: progress and outcome in view.
    await openSpec(page, 'zoo:se-mobilenet-demo-fmnist');
    await page.getByRole('tab', { name: 'Start' }).click();
    await page.getByTestId('limit').fill('300');
    await page.getByTestId('run-stats').scrollIntoViewIfNeeded();
    assert.ok(await page.evaluate('window.scrollY > 0'), 'the Start view is longer than the window');
    await page.getByTestId('run-stats').click();
    await page.getByTestId('job').waitFor();
    assert.ok(await inView(page, 'job'), 'the running job is in view');
    await page.locator('[data-testid=job-outcome][data-outcome=done]').waitFor({ timeout: 120_000 });
    assert.ok(await inView(page, 'job-outcome'), 'how it ended is in view');
    assert.match(await page.getByTestId('job-outcome').innerText(), /Gate statistics\s+done in \d+/);
    await shot(page, '1-stats-done-in-view');
    // A job that fails: its sentence in view, the page still scrolled down.
    await page.getByTestId('data').fill(join(work, 'no-such-folder'));
    await page.getByTestId('run-stats').scrollIntoViewIfNeeded();
    await page.getByTestId('run-stats').click();
    await page.getByTestId('error').waitFor({ timeout: 30_000 });
    assert.ok(await page.evaluate('window.scrollY > 0'));
    assert.ok(await inView(page, 'error'), 'the error is in view');
    assert.ok(!(await page.getByTestId('error').innerText()).includes('\n at '), 'one sentence, no stack');
    await shot(page, '2-error-in-view');
    await page.getByRole('button', { name: 'Dismiss the error' }).click();
    await page.getByTestId('data').fill('fashion-mnist');

    // 2. Prune, fine-tune, then export the pruned model in three formats.
    await page.getByRole('tab', { name: 'Prune' }).click();
    await page.getByTestId('preview-macs').waitFor();
    await page.getByTestId('run-prune').click();
    await page.getByTestId('prune-report').waitFor({ timeout: 120_000 });
    const prunedSource = (await page.getByTestId('current-model').getAttribute('data-source'))!;
    assert.match(prunedSource, /\(pruned\)$/);
    await page.getByRole('tab', { name: 'Export' }).click();
    await page.getByTestId('export-onnx-int8').waitFor();
    for (const k of ['tflite-int8', 'tfjs-fp16']) await page.getByTestId(`export-${k}`).check();
    await page.getByTestId('export-dir').fill(work);
    await page.getByTestId('export-limit').fill('100');
    await page.getByTestId('run-export').click();
    await page.locator('[data-testid=job-outcome][data-outcome=done]').waitFor({ timeout: 240_000 });
    assert.equal(await page.getByTestId('export-file').count(), 3);
    const written = readdirSync(work).filter((n) => n !== 'no-such-folder');
    const onnx = written.find((n) => n.endsWith('.onnx'));
    const tflite = written.find((n) => n.endsWith('.tflite'));
    const tfjs = written.find((n) => !n.includes('.'));
    assert.ok(onnx && tflite && tfjs, `written: ${written.join(', ')}`);

    // Each exported file opens read-only and is compared with the float model it came from.
    const tfjsJson = join(work, tfjs, 'model.json');
    for (const file of [join(work, onnx), join(work, tflite), tfjsJson]) {
      await openSpec(page, file);
      await page.getByTestId('read-only').waitFor();
      assert.equal(await page.getByRole('tab', { name: 'Prune' }).isDisabled(), true, 'no pruning of an exported file');
      await page.getByRole('tab', { name: 'Compare' }).click();
      // Choose exactly the float model it was exported from, then the file.
      const checked = page.locator('[data-testid=compare-models] input[type=checkbox]:checked');
      while ((await checked.count()) > 0) await checked.first().uncheck();
      await page.locator('[data-testid=compare-models] li', { hasText: prunedSource }).first().locator('input').check();
      await page.locator('[data-testid=compare-models] li', { hasText: file }).locator('input').check();
      await page.getByTestId('compare-limit').fill('100');
      await page.getByTestId('run-compare').click();
      await page.locator('[data-testid=job-outcome][data-outcome=done]').waitFor({ timeout: 120_000 });
      const rows = page.getByTestId('compare-row');
      assert.equal(await rows.count(), 2);
      const top1 = (await rows.locator('td:nth-child(2)').allInnerTexts()).map((t) => parseFloat(t));
      assert.ok(Number.isFinite(top1[0]) && Math.abs(top1[1] - top1[0]) <= 3, `${file}: top-1 ${top1.join(' vs ')}`);
      await shot(page, `3-compare-${file.split('.').pop()}`);
    }

    // 3. State follows the current model.
    const options = await modelOptions(page);
    const prunedIndex = options.findIndex((o) => o.includes('(pruned)'));
    await page.getByTestId('model-select').selectOption({ index: prunedIndex });
    await page.getByRole('tab', { name: 'Fine-tune' }).click();
    const teacher = page.getByTestId('ft-teacher');
    assert.match(await teacher.locator('option:checked').innerText(), /se-mobilenet-demo-fmnist$/, 'the teacher defaults to the model before pruning');
    await page.getByTestId('ft-engine').selectOption('tfjs');
    await page.getByTestId('ft-limit').fill('64');
    await page.getByTestId('ft-eval').fill('32');
    await page.getByTestId('run-finetune').click();
    await page.locator('[data-testid=ft-status][data-status=done]').waitFor({ timeout: 240_000 });
    assert.match((await page.getByTestId('current-model').getAttribute('data-source'))!, /\(fine-tuned\)$/);
    // Back to the opened model: the run, its teacher and the compare choice belong to the other one.
    await page.getByTestId('model-select').selectOption({ index: 0 });
    assert.equal(await page.getByTestId('ft-status').count(), 0, 'the fine-tune result went with its model');
    assert.equal(await teacher.inputValue(), '', 'no teacher for the unpruned model');
    await page.getByRole('tab', { name: 'Compare' }).click();
    assert.equal(await page.locator('[data-testid=compare-models] input:checked').count(), 1, 'the compare choice starts again from the current model');
    // A model of another input size: flagged as teacher and in Compare, before anything starts.
    await openSpec(page, 'zoo:se-resnet-demo?input=32x32x3');
    await page.getByRole('tab', { name: 'Fine-tune' }).click();
    const badTeacher = teacher.locator('option', { hasText: 'se-mobilenet-demo-fmnist' }).first();
    assert.equal(await badTeacher.isDisabled(), true);
    assert.match(await badTeacher.innerText(), /cannot teach: it takes 28×28×1 inputs, the current model 32×32×3/);
    await page.getByRole('tab', { name: 'Compare' }).click();
    assert.ok((await page.getByTestId('compare-incompatible').count()) >= 4, 'every 28×28×1 model is flagged');
    await shot(page, '4-incompatible-flagged');

    // 4. A model without SE blocks prunes with l1.
    await openSpec(page, 'zoo:se-resnet-demo?se=off');
    await page.getByRole('tab', { name: 'Prune' }).click();
    await page.locator('#criterion').selectOption('l1');
    await page.getByTestId('preview-macs').waitFor();
    const planned = Number(await page.getByTestId('preview-macs').getAttribute('data-value'));
    const unpruned = Number((await page.getByTestId('preview-macs').locator('xpath=..').locator('td').nth(0).innerText()).replace(/,/g, ''));
    await page.getByTestId('run-prune').click();
    await page.getByTestId('prune-report').waitFor({ timeout: 120_000 });
    const macs = Number(await page.getByTestId('report-macs').getAttribute('data-value'));
    assert.ok(macs > 0 && macs <= planned * 1.02 && macs < unpruned * 0.6, `MACs ${unpruned} → planned ${planned}, pruned ${macs}`);

    // 5. Save as, reload, restore; unsaved work asks before leaving.
    await page.getByTestId('model-select').selectOption({ index: prunedIndex });
    await page.getByRole('tab', { name: 'Compare' }).click();
    await page.getByTestId('compare-table').waitFor();
    assert.equal(await page.getByTestId('save-status').innerText(), 'unsaved changes');
    await page.getByTestId('save-as').click();
    await page.getByTestId('file-dialog').waitFor();
    await page.getByTestId('file-dialog-path').fill(work);
    await page.getByTestId('file-dialog-path').press('Enter');
    await page.locator(`[data-testid=file-dialog-entries] button[data-name="${onnx}"]`).waitFor();
    await page.getByTestId('file-dialog-name').fill('work');
    await page.getByTestId('file-dialog-choose').click();
    await page.getByTestId('save-status').filter({ hasText: 'saved: work.seprune' }).waitFor({ timeout: 60_000 });
    assert.ok(existsSync(join(work, 'work.seprune')));
    const savedModels = (await modelOptions(page)).filter((o) => !/\.(onnx|tflite|json) \(exported\)$/.test(o));
    const current = await page.getByTestId('current-model').getAttribute('data-source');
    // Saving again to the same name asks before replacing it.
    await page.getByTestId('save-as').click();
    await page.getByTestId('file-dialog').waitFor();
    await page.getByTestId('file-dialog-path').fill(work);
    await page.getByTestId('file-dialog-path').press('Enter');
    await page.locator('[data-testid=file-dialog-entries] button[data-name="work.seprune"]').click();
    await page.getByTestId('file-dialog-choose').click();
    await page.getByTestId('file-dialog-replace').waitFor();
    assert.equal(await page.getByTestId('file-dialog-choose').innerText(), 'Replace');
    await page.getByTestId('file-dialog-choose').click();
    await page.getByTestId('file-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('save-status').filter({ hasText: 'saved: work.seprune' }).waitFor();

    const optionsBefore = await modelOptions(page);
    await page.reload();
    await page.locator(`[data-testid=current-model][data-source="${current}"]`).waitFor({ timeout: 30_000 });
    assert.deepEqual(await modelOptions(page), optionsBefore, 'every model of the session is back');
    assert.equal(await page.getByRole('tab', { name: 'Compare' }).getAttribute('aria-selected'), 'true', 'the view is back');
    await page.getByTestId('compare-table').waitFor();
    assert.equal(dialogs.length, 0, 'nothing to ask after a save');
    await shot(page, '5-restored-after-reload');
    // Unsaved work: statistics since the save; leaving asks.
    await page.getByRole('tab', { name: 'Start' }).click();
    await page.getByTestId('limit').fill('100');
    await page.getByTestId('run-stats').click();
    await page.locator('[data-testid=job-outcome][data-outcome=done]').waitFor({ timeout: 120_000 });
    await page.getByTestId('save-status').filter({ hasText: 'unsaved changes' }).waitFor();
    await page.reload();
    await page.getByTestId('save-status').waitFor({ timeout: 30_000 });
    assert.deepEqual(dialogs, ['beforeunload'], 'the page asked before leaving unsaved work');

    // A fresh host reopens the file: every model the session had (exported files stay files).
    second = await startBrowserApp(outDir, mkdtempSync(join(tmpdir(), 'seprune-wb-config2-')));
    await second.page.getByTestId('zoo-list').waitFor();
    await openSpec(second.page, join(work, 'work.seprune'));
    await second.page.getByTestId('model-select').waitFor();
    assert.deepEqual((await modelOptions(second.page)).map((o) => o.replace(/^\d+\. /, '')), savedModels.map((o) => o.replace(/^\d+\. /, '')));
    assert.equal(await second.page.getByTestId('current-model').getAttribute('data-source'), current);
    await second.page.getByRole('tab', { name: 'Channel importance' }).click();
    await second.page.getByTestId('heatmap').waitFor({ timeout: 30_000 });
    assert.deepEqual(second.pageErrors, []);

    // 6. No console errors on any view, light and dark, at both sizes.
    await page.getByTestId('model-select').selectOption({ index: prunedIndex });
    for (const size of [{ width: 1400, height: 900 }, { width: 900, height: 700 }]) {
      await page.setViewportSize(size);
      for (const theme of ['light', 'dark']) {
        await page.getByLabel('Theme').selectOption(theme);
        for (const tab of ['Start', 'Model', 'Channel importance', 'Prune', 'Fine-tune', 'Compare', 'Export']) {
          await page.getByRole('tab', { name: tab }).click();
          await page.waitForTimeout(150);
        }
        await shot(page, `6-${size.width}-${theme}-export`);
      }
    }
    assert.deepEqual(pageErrors, []);
  } finally {
    await closeBrowserApp(app);
    await closeBrowserApp(second);
    for (const d of [outDir, work, configDir]) rmSync(d, { recursive: true, force: true });
  }
});
