/**
 * Broken model files are refused at load with one sentence, whatever field is wrong: each case
 * below once passed `inspect` and then made `eval` fail with "this is a bug". Also: paths that
 * are not regular files (a FIFO, /dev/zero, a folder) are refused before any read, and reads
 * stop at the caller's cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../import/load.js';
import { UserError } from './errors.js';
import { readRegular } from '../util/read-bounded.js';
import { editHeader } from '../../test/fuzz/seprune-bytes.js';

const TRAINED = fileURLToPath(new URL('./zoo/trained/se-resnet-demo.seprune', import.meta.url));
const KERAS = fileURLToPath(new URL('../import/fixtures/keras-se/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'seprune-validate-'));

type H = Parameters<Parameters<typeof editHeader>[1]>[0];
const nodeOf = (h: H, kind: string) => h.graph.nodes.find((n) => n?.kind === kind)!;

async function refusal(path: string): Promise<string> {
  try {
    await loadModel(path);
  } catch (e) {
    assert.ok(e instanceof UserError, `${path}: ${(e as Error).stack}`);
    assert.ok(!e.message.includes('\n') && /\.$/.test(e.message), e.message);
    return e.message;
  }
  assert.fail(`${path} was accepted`);
}

test('.seprune headers with ill-typed fields are refused at load, each with one sentence naming the field', async () => {
  const src = new Uint8Array(readFileSync(TRAINED));
  const cases: [string, (h: H) => void, RegExp][] = [
    ['null node', (h) => { h.graph.nodes[1] = null as never; }, /node 1 null where an object is needed/],
    ['null batchnorm attrs', (h) => { nodeOf(h, 'batchnorm').attrs = null; }, /"stem\.bn0" has attributes null/],
    ['string epsilon', (h) => { (nodeOf(h, 'batchnorm').attrs as Record<string, unknown>).epsilon = 'a'; }, /epsilon "a" where a finite number/],
    ['null activation attrs', (h) => { nodeOf(h, 'activation').attrs = null; }, /"stem\.relu0" has attributes null/],
    ['numeric activation fn', (h) => { (nodeOf(h, 'activation').attrs as Record<string, unknown>).fn = 7; }, /attribute fn 7 where one of relu/],
    ['conv dilation 0', (h) => { (nodeOf(h, 'conv2d').attrs as Record<string, unknown>).dilations = [0, 1]; }, /dilations \[0,1\]/],
    ['preprocessing a string', (h) => { h.preprocessing = 'x'; }, /preprocessing "x" where an object is needed/],
    ['string std', (h) => { (h.preprocessing as Record<string, unknown>).std = '0.3'; }, /preprocessing std "0\.3"/],
    ['zero std', (h) => { (h.preprocessing as Record<string, unknown>).std = [0]; }, /preprocessing std \[0\]/],
    ['labels not strings', (h) => { h.labels = [1, 2]; }, /labels \[1,2\]/],
    ['history a number', (h) => { h.history = 3; }, /history 3/],
    ['stats without blocks', (h) => { h.stats = { model: 'x', modelHash: 'y', n: 1, classes: 1, emptyClasses: [], seed: 0, dataset: 'd', engine: 'e' }; }, /gate statistics whose blocks is missing/],
    ['huge input', (h) => { (h.graph.inputs as { shape: number[] }[])[0].shape = [16000, 16000, 1]; }, /more than the 16,777,216 values per image/],
    ['two inputs', (h) => { (h.graph.inputs as unknown[]).push({ name: 'b', shape: [1, 1, 1] }); }, /exactly one image input/],
    ['weights on an add', (h) => { nodeOf(h, 'add').weights = {}; }, /carries weights/],
  ];
  for (const [name, edit, want] of cases) {
    const path = join(dir, `${name.replace(/\W+/g, '-')}.seprune`);
    writeFileSync(path, editHeader(src, edit));
    assert.match(await refusal(path), want, name);
  }
});

test('a TF.js layer with dilation_rate 0 is refused with one sentence', async () => {
  const d = join(dir, 'keras');
  mkdirSync(d);
  for (const f of ['group1-shard1of2.bin', 'group1-shard2of2.bin']) copyFileSync(join(KERAS, f), join(d, f));
  const j = JSON.parse(readFileSync(join(KERAS, 'model.json'), 'utf8'));
  const conv = j.modelTopology.model_config.config.layers.find((l: { config: Record<string, unknown> }) => 'dilation_rate' in l.config);
  conv.config.dilation_rate = [0, 0];
  writeFileSync(join(d, 'model.json'), JSON.stringify(j));
  assert.match(await refusal(join(d, 'model.json')), /dilations \[0,0\] where 2 integers from 1/);
});

test('FIFOs, devices and folders are refused before reading; a shard that is /dev/zero too', async () => {
  const fifo = join(dir, 'pipe.onnx');
  execFileSync('mkfifo', [fifo]);
  const t0 = Date.now();
  assert.match(await refusal(fifo), /is a named pipe, not a regular file/);
  assert.match(await refusal('/dev/zero'), /is a device, not a regular file/);
  assert.match(await refusal(dir), /is a folder/);
  assert.ok(Date.now() - t0 < 2000, 'refused at once, nothing read');
  const d = join(dir, 'keras-zero');
  mkdirSync(d);
  copyFileSync(join(KERAS, 'model.json'), join(d, 'model.json'));
  copyFileSync(join(KERAS, 'group1-shard2of2.bin'), join(d, 'group1-shard2of2.bin'));
  symlinkSync('/dev/zero', join(d, 'group1-shard1of2.bin'));
  assert.match(await refusal(join(d, 'model.json')), /weight file group1-shard1of2\.bin listed in model\.json is a device/);
});

test('reads stop at the cap: larger files are refused, or cut when the format says how much it needs', async () => {
  const big = join(dir, 'big.bin');
  writeFileSync(big, new Uint8Array(5000));
  await assert.rejects(readRegular(big, 'File big.bin', 4096), /File big\.bin is 5,000 bytes, more than the 4,096 bytes this tool reads\./);
  assert.equal((await readRegular(big, 'File big.bin', 4096, false)).length, 4096);
});

test('the CLI refuses a broken .seprune with one sentence and exit 1, not the exit 2 of a bug', () => {
  const path = join(dir, 'cli-null-node.seprune');
  writeFileSync(path, editHeader(new Uint8Array(readFileSync(TRAINED)), (h) => { h.graph.nodes[1] = null as never; }));
  const bin = fileURLToPath(new URL('../../bin/seprune.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [bin, 'inspect', path], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^seprune: Model file cli-null-node\.seprune has node 1 null where an object is needed\.\n$/);
});
