/**
 * End to end in a real browser: the renderer build served by the browser host
 * (app/api/server.ts), driven in Debian's Chromium through playwright-core. Opens a TF.js
 * model.json with its two weight shards through the file input (an upload) and an ONNX file by
 * a dropped File, sees both under Recent models after a reload; opens an ONNX fixture through the
 * Open… dialog (a folder entered with the keyboard); opens zoo:se-mobilenet-demo-fmnist (trained),
 * picks the Fashion-MNIST folder in the app's own folder dialog, gathers gate statistics on 200
 * of its images (after the preprocessing form shows the model's pipeline and one image's tensor,
 * and a step is added, removed and a mistyped transform refused), checks the
 * heatmap's channel count against the model summary, previews a 50% MACs prune and checks the
 * shown MACs equal `seprune prune --preview --json`'s, runs it, checks params went down; exports
 * the pruned model as ONNX int8 and sees onnxruntime-node's verification row; compares original
 * vs pruned (two rows, both plots); starts a fine-tune, sees steps on the loss chart, cancels it
 * and checks the model is unchanged; undoes the prune.
 * Screenshots of each view go to test-artifacts/ui/ (git-ignored).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { buildRenderer } from '../../app/api/build-renderer.js';
import { loadModel } from '../../app/import/load.js';
import { summarize } from '../../app/model/summary.js';
import { SHIPPED_FASHION_MNIST, SYSTEM_FASHION_MNIST } from '../../app/data/builtin.js';
import { CHROMIUM, closeBrowserApp, startBrowserApp, type BrowserApp } from './browser-app.js';

const MODEL = 'zoo:se-mobilenet-demo-fmnist'; // trained, so every view shows real data
const root = fileURLToPath(new URL('../..', import.meta.url));
const shots = join(root, 'test-artifacts', 'ui');
const KERAS = join(root, 'app', 'import', 'fixtures', 'keras-se');
const ONNX = join(root, 'app', 'import', 'fixtures', 'se-resnet-ts13.onnx');
/** The Fashion-MNIST IDX folder the folder dialog picks (Debian's, else the copy shipped with the app). */
const FMNIST_DIR = existsSync(SYSTEM_FASHION_MNIST) ? SYSTEM_FASHION_MNIST : SHIPPED_FASHION_MNIST;

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

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
}

test('browser mode: upload and drop model files, see them in recent files after a reload, open a zoo model, pick the dataset folder in the dialog, gather statistics, see the heatmap, preview and run a 50% MACs prune, export, compare, fine-tune and cancel, undo', { timeout: 120_000 }, async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `This test drives the UI in Chromium, which is not installed at ${CHROMIUM}: install it with \`sudo apt-get install chromium\` (Debian; .ci/run installs it).`,
  );
  mkdirSync(shots, { recursive: true });
  const outDir = mkdtempSync(join(tmpdir(), 'seprune-ui-'));
  const exportDir = mkdtempSync(join(tmpdir(), 'seprune-ui-export-'));
  const configDir = mkdtempSync(join(tmpdir(), 'seprune-ui-config-'));
  const [ref] = await Promise.all([cliPreview(), buildRenderer(outDir)]);
  const summary = summarize((await loadModel(MODEL)).project.graph);
  let app: BrowserApp | undefined;
  try {
    app = await startBrowserApp(outDir, configDir);
    const { server, page, pageErrors } = app;

    // Start: the zoo, then open the model.
    await page.getByTestId('zoo-list').waitFor();
    assert.equal(await page.locator('[data-testid=zoo-list] li').count(), (await server.service.listZoo()).length);
    await shot(page, '1-start');

    // Open a TF.js model.json with its weight shards through the file input: an upload.
    await page.getByTestId('file-input').setInputFiles(['model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin'].map((n) => join(KERAS, n)));
    await page.getByTestId('diagram').waitFor({ timeout: 20_000 });
    assert.match(await page.getByTestId('current-model').innerText(), /model\.json$/);
    assert.ok((await page.getByTestId('current-model').getAttribute('data-source'))!.startsWith(server.sessionDir), 'stored in the session folder');

    // Drop an ONNX file on the window.
    await page.getByRole('tab', { name: 'Start' }).click();
    // (A script string: this file is typechecked without the DOM's types.)
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(readFileSync(ONNX).toString('base64'))}), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'se-resnet-ts13.onnx'));
      const zone = document.querySelector('[data-testid=drop-zone]');
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await page.getByTestId('current-model').filter({ hasText: /se-resnet-ts13\.onnx$/ }).waitFor({ timeout: 20_000 });
    await page.getByTestId('diagram').waitFor();

    // After a reload the session comes back (the dropped model current, its view) and both are under Recent models, newest first.
    await page.reload();
    await page.getByTestId('current-model').filter({ hasText: /se-resnet-ts13\.onnx$/ }).waitFor({ timeout: 20_000 });
    await page.getByTestId('diagram').waitFor();
    await page.getByRole('tab', { name: 'Start' }).click();
    await page.getByTestId('recent-models').waitFor();
    assert.deepEqual(await page.locator('[data-testid=recent-model] .name').allInnerTexts(), ['se-resnet-ts13.onnx', 'model.json']);
    await shot(page, '0-start-recent');
    await page.getByRole('button', { name: 'Open model.json' }).click();
    // An uploaded model shows by its own name, not its path in the session folder.
    await page.getByTestId('current-model').filter({ hasText: /^model\s+model\.json$/ }).waitFor();
    await page.getByRole('tab', { name: 'Start' }).click();

    // Open… in browser mode: the app's dialog over the server's files; a folder opens with Enter.
    await page.getByTestId('open-dialog').click();
    await page.getByTestId('file-dialog').waitFor();
    await page.getByTestId('file-dialog-path').fill(join(root, 'app', 'import'));
    await page.getByTestId('file-dialog-path').press('Enter');
    const fixturesEntry = page.locator('[data-testid=file-dialog-entries] button[data-name=fixtures]');
    await fixturesEntry.focus();
    await fixturesEntry.press('Enter');
    const onnxEntry = page.locator('[data-testid=file-dialog-entries] button[data-name="mobilenetv3-ts13.onnx"]');
    await onnxEntry.click();
    assert.equal(await page.locator('[data-testid=file-dialog-entries] button[data-type=model]').count() >= 6, true, 'the fixtures folder lists its .onnx files');
    assert.equal(await page.locator('[data-testid=file-dialog-entries] button[data-name="keras-se"]').getAttribute('data-type'), 'folder');
    await shot(page, '1a-open-dialog', false);
    await page.getByTestId('file-dialog-choose').click();
    await page.getByTestId('current-model').filter({ hasText: /mobilenetv3-ts13\.onnx$/ }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('file-dialog').count(), 0);
    await page.getByRole('tab', { name: 'Start' }).click();

    // A mistake shows as one readable sentence, and can be dismissed.
    await page.getByText('Type a path or zoo spec').click();
    await page.getByTestId('model-path').fill('/no/such/model.onnx');
    await page.getByTestId('model-path').press('Enter');
    await page.getByTestId('error').filter({ hasText: 'Model file /no/such/model.onnx does not exist.' }).waitFor();
    await page.getByRole('button', { name: 'Dismiss the error' }).click();
    assert.deepEqual(pageErrors.splice(0), ['POST /api/openModel answered 400']);
    await page.getByRole('button', { name: `Open ${MODEL}`, exact: true }).click();

    // Model: the diagram before statistics.
    await page.getByTestId('diagram').waitFor();
    assert.equal(await page.getByTestId('model-params').innerText(), `Params ${summary.params.toLocaleString('en-US')}`);
    assert.equal(await page.locator('[data-testid=diagram] button.se').count(), summary.seBlocks.length);

    // The dataset folder, picked in the app's own dialog: type its parent, open the folder by a double click, choose it.
    await page.getByRole('tab', { name: 'Start' }).click();
    await page.getByTestId('choose-data').click();
    const dialog = page.getByTestId('file-dialog');
    await dialog.waitFor();
    await page.getByTestId('file-dialog-path').fill(join(FMNIST_DIR, '..'));
    await page.getByTestId('file-dialog-path').press('Enter');
    await page.locator('[data-testid=file-dialog-entries] button[data-name=fashion-mnist]').dblclick();
    await page.getByTestId('file-dialog-hint').filter({ hasText: 'opens as an idx dataset' }).waitFor();
    assert.equal(await page.getByTestId('file-dialog-path').inputValue(), FMNIST_DIR);
    await shot(page, '1b-folder-dialog', false);
    await page.getByTestId('file-dialog-choose').click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('data').inputValue(), FMNIST_DIR);

    // The preprocessing form: the model's stored pipeline, one image's tensor, a step added and removed.
    assert.equal(await page.getByTestId('transform').inputValue(), 'ToTensor(), Normalize(0.286, 0.353)');
    await page.getByTestId('show-tensor').click();
    await page.getByTestId('tensor-preview').filter({ hasText: '28×28×1, min' }).waitFor();
    assert.equal(await page.locator('[data-testid=tensor-preview] .grid span').count(), 28 * 28);
    await page.getByRole('combobox', { name: 'Step to add' }).selectOption('Pad(2)');
    await page.getByTestId('add-step').click();
    assert.equal(await page.getByTestId('transform').inputValue(), 'ToTensor(), Normalize(0.286, 0.353), Pad(2)');
    await page.getByTestId('show-tensor').click();
    await page.getByTestId('tensor-preview').filter({ hasText: "32×32×1 (not the model's input)" }).waitFor();
    await page.getByRole('button', { name: 'Remove Pad(2)' }).click();
    await page.getByTestId('transform').fill('ToTensor(), Normalise(0.5)');
    await page.getByTestId('transform').press('Enter');
    await page.getByTestId('transform-error').filter({ hasText: 'Normalise(0.5): Normalise is not a supported step' }).waitFor();
    assert.equal(await page.locator('[data-testid=steps] li').count(), 2);
    await page.getByTestId('transform').fill('ToTensor(), Normalize(0.286, 0.353)');
    await page.getByTestId('transform').press('Enter');

    // Statistics on 200 images of that folder.
    await page.getByTestId('limit').fill('200');
    await page.getByTestId('run-stats').click();
    await page.getByTestId('stats-summary').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('stats-summary').innerText(), /200 images/);
    await page.getByTestId('recent-data').filter({ hasText: 'fashion-mnist' }).waitFor();
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

    // Export the pruned model as ONNX int8 (the default choice): a verification row in onnxruntime-node.
    await page.getByRole('tab', { name: 'Export' }).click();
    await page.getByTestId('export-onnx-int8').waitFor();
    assert.equal(await page.getByTestId('export-onnx-int8').isChecked(), true);
    assert.equal(await page.getByTestId('export-tfjs-int8').isDisabled(), false);
    await page.getByTestId('export-dir').fill(exportDir);
    await page.getByTestId('export-limit').fill('32');
    await page.getByTestId('run-export').click();
    const verifyRow = page.locator('[data-testid=verify-row][data-runtime=onnxruntime-node]');
    await verifyRow.waitFor({ timeout: 30_000 });
    assert.match(await verifyRow.innerText(), /onnxruntime-node\s+32\s/);
    assert.equal(readdirSync(exportDir).filter((f) => f.endsWith('-int8.onnx')).length, 1);
    await shot(page, '9-export');

    // Compare the original with the pruned model (both picked by default): two rows, the plots.
    await page.getByRole('tab', { name: 'Compare' }).click();
    await page.getByTestId('compare-limit').fill('100');
    await page.getByTestId('run-compare').click();
    await page.getByTestId('compare-table').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('compare-row').count(), 2);
    assert.match(await page.getByTestId('compare-row').nth(0).innerText(), new RegExp(`${MODEL}\\s`));
    assert.match(await page.getByTestId('compare-row').nth(1).innerText(), /\(pruned\)/);
    assert.match(await page.getByTestId('compare-row').nth(1).innerText(), new RegExp(paramsAfter.toLocaleString('en-US')));
    assert.equal(await page.locator('[data-testid=plot-accuracy-vs-macs] circle').count(), 2);
    assert.equal(await page.locator('[data-testid=plot-per-class] rect').count(), 20);
    await shot(page, '10-compare');

    // Fine-tune: the teacher defaults to the model before pruning; start, see steps, cancel.
    const modelName = await page.getByTestId('current-model').innerText();
    await page.getByRole('tab', { name: 'Fine-tune' }).click();
    await page.getByTestId('ft-backend').filter({ hasText: /Backend:\s*\S+/ }).locator('strong').waitFor();
    assert.equal(await page.getByTestId('ft-teacher').locator('option:checked').innerText(), MODEL);
    // The engine: PyTorch when a Python with torch is found (CI installs Debian's), on the device chosen.
    await page.getByTestId('ft-torch').filter({ hasText: /PyTorch:\s*(found|not used)/ }).waitFor();
    const torchFound = /PyTorch:\s*found/.test(await page.getByTestId('ft-torch').innerText());
    assert.equal(await page.getByTestId('ft-engine').locator('option[value=torch]').isDisabled(), !torchFound);
    if (torchFound) {
      await page.getByTestId('ft-engine').selectOption('torch');
      await page.getByTestId('ft-device').selectOption('cpu');
    }
    await page.getByTestId('ft-limit').fill('2000');
    await page.getByTestId('ft-batch').fill('8');
    await page.getByTestId('run-finetune').click();
    await page.getByTestId('ft-progress').filter({ hasText: /step [3-9]\d*\/250/ }).waitFor({ timeout: 30_000 });
    // The chart draws the events as they come (the torch engine reports every few steps): wait for
    // three points, polling from here (the page's CSP refuses the eval a waitForFunction string needs).
    const lossPoints = async () => ((await page.locator('[data-testid=train-loss] path').getAttribute('d')) ?? '').split('L').length;
    for (const until = Date.now() + 30_000; (await lossPoints()) < 3 && Date.now() < until; ) await page.waitForTimeout(200);
    assert.ok((await page.locator('[data-testid=train-loss] path').getAttribute('d'))!.split('L').length >= 3, 'the loss chart has points');
    await shot(page, '11-finetune-running');
    await page.getByTestId('cancel-finetune').click();
    await page.locator('[data-testid=ft-status][data-status=cancelled]').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('current-model').innerText(), modelName);
    await page.getByRole('tab', { name: 'Model' }).click();
    assert.equal(await page.getByTestId('model-params').innerText(), `Params ${paramsAfter.toLocaleString('en-US')}`);
    await page.getByRole('tab', { name: 'Fine-tune' }).click();
    await shot(page, '12-finetune-cancelled');

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
    await closeBrowserApp(app);
    rmSync(outDir, { recursive: true, force: true });
    rmSync(exportDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
});
