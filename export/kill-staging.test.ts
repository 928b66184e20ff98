/**
 * kill -9 in the middle of `seprune export` leaves nothing in the system temporary folder and no
 * half-written output; the staging folder it leaves beside `--out` is removed by the next export
 * to the same place (export/write-output.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTflite } from './tflite/read.js';

const bin = fileURLToPath(new URL('../bin/seprune.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 while an export verifies: the output is absent, staging is beside it, and the next export removes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-kill-test-'));
  let childTmp = '';
  try {
    const out = join(dir, 'm.tflite');
    // The child gets a temporary folder of its own (outside `dir`, whose listing is asserted), so
    // folders other tests make in parallel cannot be mistaken for the export's leftovers.
    childTmp = mkdtempSync(join(tmpdir(), 'seprune-kill-tmp-'));
    const args = ['export', 'zoo:se-resnet-demo', '--format', 'tflite', '--quant', 'int8', '--calib', 'fashion-mnist', '--data', 'fashion-mnist', '--split', 'test', '--limit', '400', '--no-baseline', '--out', out];
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore', env: { ...process.env, TMPDIR: childTmp } });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    // Kill it once it has staged the written file for verification.
    const staged = (): string[] => readdirSync(dir).filter((e) => e.startsWith('.m.tflite.seprune-stage-'));
    const t0 = Date.now();
    while (staged().length === 0 && child.exitCode === null && Date.now() - t0 < 120_000) await sleep(20);
    assert.equal(child.exitCode, null, 'the export finished before it could be killed');
    assert.equal(staged().length, 1, 'no staging folder appeared beside the output within 120 s');
    child.kill('SIGKILL');
    await exited;

    assert.equal(existsSync(out), false, 'a killed export left an output file');
    assert.equal(staged().length, 1, 'the killed export staged beside the output');
    // tsx keeps its compile cache there (tsx-<uid>); that one is not the export's.
    assert.deepEqual(readdirSync(childTmp).filter((e) => !e.startsWith('tsx-')), [], 'the killed export left something in its temporary folder');
    rmSync(childTmp, { recursive: true, force: true });

    const again = spawnSync(process.execPath, [bin, 'export', 'zoo:se-resnet-demo', '--format', 'tflite', '--no-verify', '--out', out], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readdirSync(dir), ['m.tflite'], 'the next export left only its output');
    assert.ok(readTflite(readFileSync(out)).ops.includes('CONV_2D'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (childTmp) rmSync(childTmp, { recursive: true, force: true });
  }
});
