import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZooModel } from './zoo/index.js';
import { decodeProject, encodeProject, saveProject } from './project-file.js';
import { graphHash } from './graph-hash.js';
import { loadModel } from '../import/load.js';
import { nodeWeights } from './ir.js';
import { ModelError } from './errors.js';

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

test('.seprune round-trips bit-exactly, including NaN payloads and -0', () => {
  const g = buildZooModel('se-shufflenetv2-demo');
  const w = nodeWeights(g.nodes[0])[0][1];
  new Uint32Array(w.buffer, w.byteOffset, 3).set([0x7fc00123, 0x80000000, 0x00000001]); // NaN payload, -0, denormal
  const bytes = concat(encodeProject({ graph: g, labels: ['a', 'b'], history: [{ step: 'test', at: 'now', details: {} }] }));
  const back = decodeProject(bytes);
  assert.equal(graphHash(back.graph), graphHash(g));
  assert.deepEqual(back.labels, ['a', 'b']);
  for (let i = 0; i < g.nodes.length; i++) {
    const a = nodeWeights(g.nodes[i]);
    const b = nodeWeights(back.graph.nodes[i]);
    assert.equal(a.length, b.length);
    a.forEach(([k, v], j) => {
      assert.equal(b[j][0], k);
      assert.deepEqual(new Uint8Array(b[j][1].buffer, b[j][1].byteOffset, b[j][1].byteLength), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    });
  }
  assert.deepEqual(concat(encodeProject(back)), bytes, 'encode(decode(x)) == x');
});

test('truncated, corrupted and foreign files are one-sentence ModelErrors', () => {
  const bytes = concat(encodeProject({ graph: buildZooModel('se-resnet-demo'), history: [] }));
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated weights', bytes.subarray(0, bytes.length - 10), /truncated/],
    ['truncated header', bytes.subarray(0, 40), /truncated/],
    ['flipped weight byte', (() => { const c = Buffer.from(bytes); c[c.length - 5] ^= 0xff; return c; })(), /corrupted/],
    ['not a project', new TextEncoder().encode('hello world, not a model file'), /not a \.seprune/],
    ['empty', new Uint8Array(0), /not a \.seprune/],
    ['extra bytes', Buffer.concat([bytes, Buffer.from([1, 2, 3])]), /unexpected bytes/],
  ];
  for (const [what, b, re] of cases) {
    assert.throws(() => decodeProject(b), (e: Error) => e instanceof ModelError && re.test(e.message) && !e.message.includes('\n'), what);
  }
  // A header that parses but describes an impossible graph.
  const text = Buffer.from(bytes).toString('latin1').replace('"filters":16', '"filters":17');
  assert.throws(() => decodeProject(Buffer.from(text, 'latin1')), ModelError);
});

test('saveProject writes atomically, refuses to overwrite without force and never touches the input', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-'));
  const path = join(dir, 'm.seprune');
  const m = await loadModel('zoo:se-mobilenet-demo');
  saveProject(path, m.project);
  const first = readFileSync(path);
  assert.throws(() => saveProject(path, m.project), /already exists/);
  saveProject(path, m.project, { force: true });
  assert.deepEqual(readFileSync(path), first);
  assert.throws(() => saveProject(path, m.project, { force: true, protect: [path] }), /Refusing to overwrite the input/);
  assert.throws(() => saveProject(join(dir, 'nope', 'x.seprune'), m.project), /does not exist/);
  assert.deepEqual(readdirSync(dir), ['m.seprune'], 'no temp files left behind');
  const loaded = await loadModel(path);
  assert.equal(loaded.hash, m.hash);
  writeFileSync(join(dir, 'bad.seprune'), first.subarray(0, 100));
  await assert.rejects(loadModel(join(dir, 'bad.seprune')), ModelError);
  assert.ok(existsSync(path));
});
