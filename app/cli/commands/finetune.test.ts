// `seprune finetune` as a user runs it: Ctrl-C (SIGINT) mid-run stops cleanly with the last
// checkpoint kept (with the run's preprocessing and labels) and the input untouched, and --resume finishes the run and reports top-1
// (on as many threads as the machine has cores, up to 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../import/load.js';
import { saveProject } from '../../model/project-file.js';
import { buildZooModel } from '../../model/zoo/index.js';

const bin = fileURLToPath(new URL('../../../bin/seprune.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'seprune-finetune-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('finetune: SIGINT keeps the last checkpoint and the input; --resume completes with --json', async () => {
  const input = join(dir, 'in.seprune');
  saveProject(input, { graph: buildZooModel('se-resnet-demo?width=0.25'), history: [] });
  const inputBytes = readFileSync(input);
  const ckpt = join(dir, 'ckpt');
  const out = join(dir, 'out.seprune');
  const args = [bin, 'finetune', input, '--data', 'fashion-mnist', '--limit', '32', '--mean', '0.286', '--std', '0.353', '--batch', '16', '--epochs', '3', '--checkpoint-dir', ckpt, '--eval-limit', '50', '--engine', 'tfjs', '--out', out];

  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && /epoch 1: loss/.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 1, stderr);
  // The signal lands during epoch 2 unless the machine is so loaded that a whole step passed first.
  const m = /cancelled during epoch (\d+); the checkpoint of epoch (\d+) in .* can be resumed with --resume\./.exec(stderr);
  assert.ok(m, stderr);
  const kept = Number(m[2]);
  assert.equal(Number(m[1]), kept + 1);
  assert.ok(kept >= 1 && kept < 3);
  assert.doesNotMatch(stderr, /internal error|at .*\.ts:/);
  assert.equal(JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8')).epoch, kept);
  // The checkpoint's model carries the run's preprocessing and labels, so it evaluates like the final output.
  const saved = await loadModel(join(ckpt, `epoch-${kept}.seprune`));
  assert.deepEqual(saved.project.preprocessing?.mean, [0.286]);
  assert.deepEqual(saved.project.preprocessing?.std, [0.353]);
  assert.equal(saved.project.labels?.length, 10);
  assert.ok(!existsSync(out), 'no output after a cancel');
  assert.deepEqual(readFileSync(input), inputBytes, 'the input model is byte-identical');

  const again = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a checkpoint; pass --resume/);

  const resumed = spawnSync(process.execPath, [...args, '--resume', '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  const j = JSON.parse(resumed.stdout);
  assert.equal(j.epochs, 3);
  assert.equal(j.resumedFrom, kept);
  assert.equal(j.history.length, 3);
  assert.equal(j.evaluated.n, 50);
  assert.ok(j.top1 >= 0 && j.top1 <= j.top5 && j.top5 <= 1);
  assert.ok(j.imagesPerSecond > 0);
  assert.equal(j.backend, 'cpu');
  assert.equal(j.threads, Math.min(availableParallelism(), 4), 'by default one data-parallel worker per idle core (at most 3)');
  assert.ok(j.backendsTried.some((b: { name: string; ok: boolean }) => b.name === 'cpu' && b.ok));
  assert.ok(existsSync(out));
  assert.deepEqual(readFileSync(input), inputBytes);
});

test('finetune: a bad --workers value is one sentence and exit 1', () => {
  const r = spawnSync(process.execPath, [bin, 'finetune', 'zoo:se-resnet-demo', '--data', 'fashion-mnist', '--epochs', '1', '--workers', 'two', '--out', join(dir, 'w.seprune')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trim(), 'seprune: --workers must be a whole number ≥ 0 and ≤ 64, got "two".');
});

test('finetune: without torch (SEPRUNE_PYTHON cannot import it) auto trains on tfjs and says why; --engine torch is one sentence', () => {
  // A real Python whose site-packages are off (-S), so `import torch` fails as on a machine without it.
  const noTorch = join(dir, 'python-without-torch');
  writeFileSync(noTorch, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  chmodSync(noTorch, 0o755);
  const env = { ...process.env, SEPRUNE_PYTHON: noTorch };
  const base = [bin, 'finetune', 'zoo:se-resnet-demo?width=0.25', '--data', 'fashion-mnist', '--limit', '32', '--batch', '16', '--epochs', '1', '--eval-limit', '20', '--workers', '0'];
  const r = spawnSync(process.execPath, [...base, '--out', join(dir, 'nt.seprune'), '--json'], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.engine, 'tfjs');
  assert.equal(j.backend, 'cpu');
  assert.match(j.enginesNotUsed[0].reason, /python-without-torch: Python [\d.]+: torch cannot be imported \(ModuleNotFoundError/);
  assert.equal(j.engineWhy, 'the built-in engine (no PyTorch here)');
  const t = spawnSync(process.execPath, [...base, '--engine', 'torch', '--out', join(dir, 'nt2.seprune')], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(t.status, 1);
  assert.match(t.stderr.trim(), /^seprune: The torch engine cannot run: no Python with PyTorch was found \(.*\); set SEPRUNE_PYTHON to a Python that has torch\.$/);
  assert.ok(!existsSync(join(dir, 'nt2.seprune')));
});
