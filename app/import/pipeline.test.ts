// The user's own models through every command: inspect, stats, eval, prune, export to ONNX, and
// the exported pruned file runs in onnxruntime with the smaller shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../engine/onnx/schema.js';
import { createOrtSession } from '../engine/ort.js';

const bin = fileURLToPath(new URL('../../bin/seprune.mjs', import.meta.url));
const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const data = ['--data', 'fashion-mnist', '--pad', '2', '--limit', '60'];

/** Output-channel count of every Conv initializer weight, by node order. */
function convOutChannels(bytes: Uint8Array): number[] {
  const m = decodeModel(bytes);
  const inits = new Map((m.graph?.initializer ?? []).map((t) => [t.name, t]));
  return (m.graph?.node ?? []).filter((n) => n.op_type === 'Conv').map((n) => Number(inits.get(n.input?.[1] ?? '')?.dims?.[0] ?? 0));
}

for (const f of ['se-resnet-ts13.onnx', 'mobilenetv3-ts14.onnx', 'regnety-ts13.onnx', 'shufflenetv2-se-ts13.onnx']) {
  test(`imported ${f}: inspect, stats, eval, prune, export; the pruned ONNX runs smaller`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seprune-imp-'));
    const path = fixture(f);
    const ins = run('inspect', path);
    assert.ok(ins.seBlocks.length >= 3);
    const stats = run('stats', path, ...data, '--out', join(dir, 's.json'));
    assert.equal(stats.blocks.length, ins.seBlocks.length);
    const ev = run('eval', path, ...data, '--no-latency');
    assert.equal(ev.n, 60);
    const pr = run('prune', path, ...data, '--stats', join(dir, 's.json'), '--target-macs', '0.6', '--residual', 'couple', '--out', join(dir, 'p.seprune'));
    assert.ok(pr.macsAfter < pr.macsBefore && pr.paramsAfter < pr.paramsBefore);
    const orig = run('export', path, '--format', 'onnx', '--quant', 'fp32', ...data, '--out', join(dir, 'orig.onnx'));
    const ex = run('export', join(dir, 'p.seprune'), '--format', 'onnx', '--quant', 'fp32', ...data, '--out', join(dir, 'p.onnx'));
    assert.ok(ex.verify.maxAbsDiff <= 1e-4 && ex.bytes < orig.bytes);
    const before = convOutChannels(readFileSync(join(dir, 'orig.onnx')));
    const after = convOutChannels(readFileSync(join(dir, 'p.onnx')));
    assert.ok(after.reduce((a, b) => a + b, 0) < before.reduce((a, b) => a + b, 0), `conv widths ${before} → ${after}`);
    const session = await createOrtSession(readFileSync(join(dir, 'p.onnx')));
    assert.deepEqual(session.inputShape, [32, 32, 3]);
    const out = await session.run(new Float32Array(2 * 32 * 32 * 3).fill(0.1), 2);
    assert.equal(out.outputs[0].length, 2 * ins.outputs[0].shape[0]);
    assert.ok(out.outputs[0].every(Number.isFinite));
    await session.release();
  });
}
