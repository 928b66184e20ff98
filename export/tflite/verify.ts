/**
 * The TFLite verifier: a .tflite file opened in the real TFLite interpreter (`@tensorflow/tfjs-tflite`,
 * wasm) in a child process (export/tflite/runtime/run.ts, its own workspace package with the
 * tfjs-core 4.9 it pins), so that version never meets the app's tfjs-core in one process.
 * Inputs are NHWC float32; an int8-input model gets them quantized with its input's parameters,
 * and an int8 output comes back dequantized. A file the interpreter refuses is a UserError
 * carrying the interpreter's message.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ModelError, UserError } from '../../app/model/errors.js';
import type { Runner } from '../types.js';
import { TensorType } from './schema.js';
import { readTflite } from './read.js';

export const TFLITE_RUNTIME = 'tflite (tfjs-tflite wasm)';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./runtime/run.ts', import.meta.url));

interface Reply {
  ok: boolean;
  error?: string;
  ready?: boolean;
  outputSize?: number;
  latencyMs?: number;
}

const clean = (s: string): string => s.replace(/\s+/g, ' ').trim().replace(/[.\s]+$/, '');

export interface TfliteRunner extends Runner {
  /** Median per-image latency of the last run. */
  lastLatencyMs: number;
}

/** Starts the interpreter on `path`; resolves once the model is loaded. */
export async function openTflite(path: string): Promise<TfliteRunner> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UserError(`Cannot read ${path}.`);
  }
  const info = readTflite(bytes, `The TFLite file ${path}`);
  const quantOf = (i: number) => {
    const t = info.tensors[i];
    return t && t.type !== TensorType.FLOAT32 && t.scale.length ? { scale: t.scale[0], zeroPoint: t.zeroPoint[0] } : undefined;
  };
  const io = { input: quantOf(info.inputs[0]), output: quantOf(info.outputs[0]) };
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', CHILD, path, JSON.stringify(io)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const lines: Interface = createInterface({ input: child.stdout });
  const iter = lines[Symbol.asyncIterator]();
  const next = async (): Promise<Reply> => {
    const r = await iter.next();
    if (r.done) throw new ModelError(`The TFLite interpreter process ended unexpectedly${stderr ? `: ${clean(stderr.split('\n').filter((l) => /error/i.test(l)).join(' ') || stderr)}` : ''}.`);
    return JSON.parse(r.value) as Reply;
  };
  const ready = await next();
  if (!ready.ok) {
    child.kill();
    throw new ModelError(`The TFLite interpreter refused ${path}: ${clean(ready.error ?? 'unknown error')}.`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'seprune-tflite-'));
  let calls = 0;
  const runner: TfliteRunner = {
    runtime: TFLITE_RUNTIME,
    lastLatencyMs: 0,
    async run(x: Float32Array, n: number): Promise<Float32Array> {
      const k = calls++;
      const input = join(dir, `in${k}.f32`);
      const output = join(dir, `out${k}.f32`);
      writeFileSync(input, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      child.stdin.write(JSON.stringify({ input, n, output }) + '\n');
      const r = await next();
      if (!r.ok) throw new ModelError(`The TFLite interpreter failed to run ${path}: ${clean(r.error ?? 'unknown error')}.`);
      const raw = readFileSync(output);
      rmSync(input, { force: true });
      rmSync(output, { force: true });
      runner.lastLatencyMs = r.latencyMs ?? 0;
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    },
    async release(): Promise<void> {
      child.stdin.end();
      lines.close();
      await new Promise<void>((res) => {
        if (child.exitCode !== null) res();
        else child.once('exit', () => res());
        setTimeout(() => {
          child.kill();
          res();
        }, 2000).unref();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return runner;
}

/** One-shot: outputs [n, K] of `inputsNHWC` through the interpreter, and the median per-image latency. */
export async function verifyTflite(path: string, inputsNHWC: Float32Array, n: number): Promise<{ outputs: Float32Array; latencyMs: number }> {
  const r = await openTflite(path);
  try {
    const outputs = await r.run(inputsNHWC, n);
    return { outputs, latencyMs: r.lastLatencyMs };
  } finally {
    await r.release();
  }
}
