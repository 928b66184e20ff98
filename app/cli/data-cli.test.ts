// Dataset reports and the calibration split as a user meets them on the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const bin = fileURLToPath(new URL('../../bin/seprune.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

async function folder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-cli-data-'));
  for (const cls of ['a', 'b', 'c']) mkdirSync(join(dir, cls));
  for (const cls of ['a', 'b']) {
    for (let i = 0; i < 6; i++) {
      await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 30 * i, g: 30 * i, b: 30 * i } } }).toColourspace("b-w").png().toFile(join(dir, cls, `${i}.png`));
    }
  }
  return dir;
}

test('eval prints dataset warnings and lists them in --json; int8 export never calibrates on the verification images unasked', async () => {
  const dir = await folder();
  try {
    const e = run('eval', 'zoo:se-resnet-demo', '--data', dir, '--transform', 'ToTensor(), Normalize(0.5, 0.5)', '--no-latency', '--json');
    assert.equal(e.status, 0, e.stderr);
    const j = JSON.parse(e.stdout);
    assert.equal(j.n, 12);
    assert.equal(j.datasets.length, 1);
    assert.match(j.datasets[0].warnings.join(' '), /Class folder c in .* holds no images/);
    assert.equal(j.datasets[0].preprocessing, 'ToTensor(), Normalize(0.5, 0.5)');
    const text = run('eval', 'zoo:se-resnet-demo', '--data', dir, '--no-latency');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /^warning \(data\): Class folder c in .* holds no images\.$/m);

    // A folder without train/test: its only split is what the export verifies on.
    const out = join(dir, 'm.onnx');
    const refused = run('export', 'zoo:se-resnet-demo', '--format', 'onnx', '--quant', 'int8', '--data', dir, '--out', out);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^seprune: .* has no train split apart from the test images the export is verified on: pass --calib <other images> \(or --calib .* --calib-split test to calibrate on them anyway\)\.$/m);
    const asked = run('export', 'zoo:se-resnet-demo', '--format', 'onnx', '--quant', 'int8', '--data', dir, '--calib', dir, '--calib-split', 'test', '--out', out, '--json');
    assert.equal(asked.status, 0, asked.stderr);
    const x = JSON.parse(asked.stdout);
    assert.deepEqual([x.calibration.split, x.calibration.sameAsVerification], ['test', true]);
    assert.deepEqual(x.datasets.map((d: { role: string }) => d.role), ['calibration', 'verification']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
