/**
 * chooseBackend: walks node-gpu → node → webgpu → cpu, sets the first that works and says why each
 * earlier one was skipped. On a machine without the optional packages that is cpu.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { UserError } from '../model/errors.js';
import { tf } from './tf.js';
import { BACKEND_NAMES, chooseBackend, softwareAdapter, webGpuVerdict, type GpuAdapterInfo } from './backend.js';

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
  const webgpu = r.tried.find((t) => t.name === 'webgpu');
  if (webgpu && /software renderer|fallback/.test(webgpu.reason)) assert.ok(!webgpu.ok, 'auto never takes a software WebGPU adapter');
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

// What Dawn 0.6.2 reports for Debian chromium's SwiftShader Vulkan driver.
const SWIFTSHADER: GpuAdapterInfo = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true };

test('a software WebGPU adapter is used only when asked for, and the report says why', () => {
  const auto = webGpuVerdict(SWIFTSHADER, false);
  assert.equal(auto.ok, false);
  assert.match(auto.reason, /swiftshader.*software renderer.*only --backend webgpu/i);
  const asked = webGpuVerdict(SWIFTSHADER, true);
  assert.equal(asked.ok, true);
  assert.match(asked.reason, /software renderer: correct but slow, used because it was asked for/);
  const software: GpuAdapterInfo[] = [
    SWIFTSHADER,
    { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: '' },
    { vendor: 'mesa', device: 'lavapipe' },
    { vendor: '', description: 'Microsoft Basic Render Driver' },
    { vendor: 'microsoft', architecture: 'warp' },
    { vendor: 'unknown', isFallbackAdapter: true },
  ];
  for (const info of software) {
    assert.ok(softwareAdapter(info), `${JSON.stringify(info)} is software`);
    assert.equal(webGpuVerdict(info, false).ok, false);
  }
  const gpus: GpuAdapterInfo[] = [
    { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' },
    { vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' },
    { vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770' },
    { vendor: 'apple', architecture: 'metal-3' },
    {},
  ];
  for (const info of gpus) {
    assert.equal(softwareAdapter(info), null, `${JSON.stringify(info)} is a GPU`);
    const v = webGpuVerdict(info, false);
    assert.ok(v.ok);
    assert.doesNotMatch(v.reason, /software/);
  }
});
