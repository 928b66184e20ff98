// The CLI as a user runs it: a real process through bin/seprune.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/seprune.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

test('inspect zoo:se-resnet50 --json prints params 28071976 and the SE blocks', () => {
  const r = run('inspect', 'zoo:se-resnet50', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.params, 28071976);
  assert.ok(j.macs > 3.8e9 && j.macs < 4.2e9);
  assert.equal(j.seBlocks.length, 16);
  assert.deepEqual(j.seBlocks.map((b: { channels: number }) => b.channels).slice(0, 4), [256, 256, 256, 512]);
  assert.ok(j.seBlocks.every((b: { name: string }) => typeof b.name === 'string'));
});

test('every command has --help', async () => {
  const { COMMANDS } = await import('./commands/index.js');
  assert.ok(COMMANDS.length >= 6);
  for (const c of COMMANDS.map((x) => x.name)) {
    const r = run(c, '--help');
    assert.equal(r.status, 0, c);
    assert.match(r.stdout, new RegExp(`Usage: seprune ${c}`));
    assert.match(r.stdout, /--json/);
  }
});

test('user mistakes exit non-zero with one sentence and no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-cli-'));
  writeFileSync(join(dir, 'junk.seprune'), 'definitely not a model');
  writeFileSync(join(dir, 'junk.bin'), new Uint8Array([1, 2, 3]));
  for (const args of [
    ['inspect', 'zoo:se-resnet9000'],
    ['inspect', join(dir, 'junk.seprune')],
    ['inspect', join(dir, 'junk.bin')],
    ['inspect', join(dir, 'missing.onnx')],
    ['inspect'],
    ['inspect', 'zoo:se-resnet-demo', '--frobnicate'],
    ['nonsense-command'],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], /^seprune: .+[.]$/);
    assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/);
  }
});

test('inspect works on every zoo model', () => {
  const zoo = JSON.parse(run('zoo', '--json').stdout) as { models: { name: string }[] };
  assert.ok(zoo.models.length >= 13);
  for (const { name } of zoo.models) {
    const r = run('inspect', `zoo:${name}`, '--json');
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert.ok(j.params > 0 && j.macs > 0 && j.seBlocks.length > 0, name);
  }
});

test('demo runs the main job and writes its report folder', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'seprune-demo-')), 'report');
  const r = run('demo', '--out', dir, '--limit', '100', '--eval-limit', '200', '--train-limit', '100', '--epochs', '1', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  // Every accuracy on the same 200 test images; recovery is the fine-tuned minus the unpruned top-1.
  assert.equal(j.eval.n, 200);
  assert.equal(j.finetune.evaluated.n, 200);
  assert.ok(Math.abs(j.recovery - (j.finetune.top1 - j.eval.top1)) < 1e-12);
  assert.ok(j.prune.bnRecalibratedOn > 0 && j.prune.top1After >= 0);
  assert.ok(j.prune.macsAfter / j.macs > 0.45 && j.prune.macsAfter / j.macs < 0.55, `${j.prune.macsAfter / j.macs}`);
  assert.ok(j.finetune.top1 >= 0 && j.finetune.top1 <= 1);
  assert.equal(j.compare.rows.length, 3);
  assert.equal(j.export.verify.runtime, 'onnxruntime-node');
  assert.match(readFileSync(j.files.compare, 'utf8'), /<svg/);
  for (const f of Object.values(j.files) as string[]) assert.ok(readFileSync(f).length > 0, f);
  const again = run('demo', '--out', dir);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists/);
});
