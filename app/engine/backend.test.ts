/**
 * chooseBackend: walks node-gpu → node → webgpu → cpu, sets the first that works and says why each
 * earlier one was skipped. On a machine without the optional packages that is cpu.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { UserError } from '../model/errors.js';
import { tf } from './tf.js';
import { BACKEND_NAMES, chooseBackend } from './backend.js';

const OPTIONAL = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'webgpu'];

function installed(spec: string): boolean {
  try {
    createRequire(import.meta.url).resolve(spec);
    return true;
  } catch {
    return false;
  }
}

test('chooseBackend tries every candidate in order and sets the first that works', async () => {
  const r = await chooseBackend();
  const firstOk = r.tried.findIndex((t) => t.ok);
  assert.equal(r.tried[firstOk].name, r.name);
  assert.equal(firstOk, r.tried.length - 1, 'stops at the first that works');
  assert.deepEqual(r.tried.map((t) => t.name), BACKEND_NAMES.slice(0, r.tried.length));
  for (const t of r.tried.slice(0, -1)) assert.ok(!t.ok && t.reason.length > 0, `${t.name} says why it was skipped`);
  if (OPTIONAL.every((s) => !installed(s))) {
    assert.equal(r.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(r.tried.length, 4);
    for (const [i, t] of r.tried.slice(0, 3).entries()) assert.match(t.reason, new RegExp(`${OPTIONAL[i]} is not installed`));
  }
});

test('chooseBackend honours a preference and rejects unknown names', async () => {
  const r = await chooseBackend('cpu');
  assert.equal(r.name, 'cpu');
  assert.equal(r.tried.length, 1);
  assert.equal(tf.getBackend(), 'cpu');
  await assert.rejects(chooseBackend('tpu'), UserError);
});
