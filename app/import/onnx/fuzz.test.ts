/**
 * Fuzz: 1,000 seeded random mutations (byte flips, truncations, insertions) of an ONNX fixture.
 * Every import either succeeds with a graph that passes shape inference or throws a UserError
 * whose message is one line; none takes more than 5 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { onnxToGraph } from './import.js';
import { Rng } from '../../model/random.js';
import { UserError } from '../../model/errors.js';
import { inferShapes } from '../../model/shapes.js';

const FILE = fileURLToPath(new URL('../fixtures/shufflenetv2-se-ts13.onnx', import.meta.url));

function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const kind = rng.int(3);
  if (kind === 0) {
    const out = src.slice();
    const flips = 1 + rng.int(8);
    for (let i = 0; i < flips; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  }
  if (kind === 1) return src.slice(0, rng.int(src.length));
  const at = rng.int(src.length);
  const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
  const out = new Uint8Array(src.length + ins.length);
  out.set(src.subarray(0, at));
  out.set(ins, at);
  out.set(src.subarray(at), at + ins.length);
  return out;
}

test('1,000 random mutations of an ONNX file: no crash, no hang, only clear one-line errors', () => {
  // A plain Uint8Array: Buffer.slice would return views and mutations would pile up.
  const src = new Uint8Array(readFileSync(FILE));
  const rng = new Rng(2024);
  let ok = 0;
  let refused = 0;
  let slowest = 0;
  for (let i = 0; i < 1000; i++) {
    const bytes = mutate(src, rng);
    const t0 = performance.now();
    try {
      const g = onnxToGraph(bytes, 'fuzz.onnx');
      inferShapes(g);
      ok++;
    } catch (e) {
      if (!(e instanceof UserError)) throw new Error(`mutation ${i} escaped as ${(e as Error)?.stack ?? String(e)}`);
      assert.ok(!e.message.includes('\n') && e.message.length > 10, `mutation ${i}: "${e.message}"`);
      refused++;
    }
    const dt = performance.now() - t0;
    slowest = Math.max(slowest, dt);
    assert.ok(dt < 5000, `mutation ${i} took ${dt.toFixed(0)} ms`);
  }
  assert.equal(ok + refused, 1000);
  assert.ok(refused > 100, `most truncations must be refused (refused ${refused})`);
  console.log(`fuzz: ${ok} imported, ${refused} refused, slowest ${slowest.toFixed(1)} ms`);
});
