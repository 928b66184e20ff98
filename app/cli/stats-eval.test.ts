// `seprune stats` and `seprune eval` as a user runs them, on the bundled data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const bin = fileURLToPath(new URL('../../bin/seprune.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

test('eval zoo:se-resnet-demo --data fashion-mnist --limit 500 --json', () => {
  const r = run('eval', 'zoo:se-resnet-demo', '--data', 'fashion-mnist', '--limit', '500', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.n, 500);
  assert.ok(j.top1 >= 0 && j.top1 <= j.top5 && j.top5 <= 1);
  assert.equal(j.perClass.length, 10);
  assert.equal(j.confusion.flat().reduce((a: number, b: number) => a + b, 0), 500);
  assert.equal(j.engine, 'onnxruntime-node');
  assert.deepEqual(j.latency.map((l: { batch: number }) => l.batch), [1, 32]);
  assert.ok(j.latency.every((l: { msPerImage: number }) => l.msPerImage > 0));
});

test('stats writes JSON, is deterministic for a seed, and refuses to overwrite without --force', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-stats-'));
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  const args = ['stats', 'zoo:se-mobilenet-demo', '--data', 'fashion-mnist', '--limit', '200', '--seed', '3'];
  assert.equal(run(...args, '--out', a).status, 0);
  assert.equal(run(...args, '--out', b, '--json').status, 0);
  const sa = JSON.parse(readFileSync(a, 'utf8'));
  assert.deepEqual(sa, JSON.parse(readFileSync(b, 'utf8')));
  assert.equal(sa.n, 200);
  assert.equal(sa.blocks.length, 5);
  const again = run(...args, '--out', a);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists; pass --force/);
  const p = join(dir, 'p.seprune');
  assert.equal(run(...args, '--project-out', p).status, 0);
  const ins = JSON.parse(run('inspect', p, '--json').stdout);
  assert.equal(ins.seBlocks.length, 5);
});

test('corrupted images and a mismatched input shape are reported, not fatal or cryptic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-folder-'));
  for (const cls of ['cat', 'dog']) {
    mkdirSync(join(dir, cls));
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 40 * i, g: 10, b: 0 } } }).png().toFile(join(dir, cls, `${i}.png`));
    }
  }
  writeFileSync(join(dir, 'cat', 'broken.png'), 'not a png');
  writeFileSync(join(dir, 'dog', 'empty.jpg'), '');
  const r = run('eval', 'zoo:se-resnet-demo', '--data', dir, '--channels', '1', '--json', '--no-latency');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.n, 6);
  assert.deepEqual(j.skipped.map((s: { id: string }) => s.id.split('/').pop()).sort(), ['broken.png', 'empty.jpg']);
  const wrong = run('eval', 'zoo:se-resnet-demo?input=32x32x3', '--data', 'fashion-mnist', '--limit', '20');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /takes 32×32×3; try --pad 2 \(zero pixels, before Normalize\) or end --transform with Pad\(2\)/);
  const none = run('stats', 'zoo:se-resnet-demo', '--data', join(dir, 'nope'));
  assert.equal(none.status, 1);
  assert.equal(none.stderr.trim().split('\n').length, 1);
});
