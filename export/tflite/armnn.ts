/**
 * The second TFLite runtime: Arm NN's TFLite parser (Debian `python3-pyarmnn` with
 * `libarmnn-cpuref-backend22`; CpuAcc too where `libarmnn-cpuacc-backend22` is installed), run
 * by Debian's /usr/bin/python3 in a child process (runtime/armnn_run.py). Used when present:
 * `armnnAvailable()` says whether it is, and why not.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { ModelError } from '../../app/model/errors.js';
import { clean, startChild, type TfliteRunner } from './child.js';
import type { Runner } from '../types.js';
import { readTflite } from './read.js';
import { TensorType } from './schema.js';

export const ARMNN_PYTHON = '/usr/bin/python3';
/** Images Arm NN's CpuRef (a reference interpreter, ~0.1 s an image) is measured on. */
export const ARMNN_CPUREF_IMAGES = 200;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./runtime/armnn_run.py', import.meta.url));
/** Preferred first: Arm's NEON backend where installed, then the reference backend. */
const BACKENDS = ['CpuAcc', 'CpuRef'];

let probed: { ok: true; version: string; backends: string[] } | { ok: false; why: string } | undefined;

/** Whether Arm NN's TFLite parser can run here (probed once per process). */
export function armnnAvailable(): typeof probed & object {
  if (probed) return probed;
  const code = [
    'import contextlib,sys,json',
    'with contextlib.redirect_stdout(sys.stderr): import pyarmnn as a',
    'a.ITfLiteParser()',
    'r=a.IRuntime(a.CreationOptions())',
    'print(json.dumps({"version":a.ARMNN_VERSION,"backends":[str(b) for b in r.GetDeviceSpec().GetSupportedBackends()]}))',
  ].join('\n');
  const r = spawnSync(ARMNN_PYTHON, ['-c', code], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    const why = r.error ? `${ARMNN_PYTHON} is not installed` : /No module named/.test(r.stderr) ? 'python3-pyarmnn is not installed' : clean(r.stderr.split('\n').filter(Boolean).pop() ?? 'it failed to start');
    probed = { ok: false, why };
  } else {
    const v = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; backends: string[] };
    probed = v.backends.length ? { ok: true, ...v } : { ok: false, why: 'Arm NN has no backend installed (apt-get install libarmnn-cpuref-backend22)' };
  }
  return probed;
}

/**
 * Arm NN 22.0's known fault (reduced case in bench/RESULTS.md, "Arm NN"): an int8 PAD whose tensor
 * has a zero point z ≠ 0 is padded with the integer 0 (the real value −z·scale) instead of the zero
 * point that TFLite's PAD writes, unless the PAD is read by a CONV_2D, into which Arm NN folds it.
 * Returns how many such PADs the file has (then Arm NN's numbers on it are not the file's).
 */
export function armnnMisreadPads(bytes: Uint8Array): number {
  const m = readTflite(bytes);
  const readers = new Map<number, string[]>();
  m.opTensors.forEach((o, k) => o.inputs.forEach((t) => readers.set(t, [...(readers.get(t) ?? []), m.ops[k]])));
  let n = 0;
  m.ops.forEach((op, k) => {
    if (op !== 'PAD') return;
    const t = m.tensors[m.opTensors[k].inputs[0]];
    if (t.type !== TensorType.INT8 || !t.zeroPoint.some((z) => z !== 0)) return;
    const r = readers.get(m.opTensors[k].outputs[0]) ?? [];
    if (!(r.length === 1 && r[0] === 'CONV_2D')) n++;
  });
  return n;
}

/** Opens `path` in Arm NN (the fastest installed CPU backend, CpuRef as fallback); resolves once it is loaded. */
export async function openArmnn(path: string, backends: string[] = BACKENDS): Promise<TfliteRunner> {
  const c = await startChild(ARMNN_PYTHON, [CHILD, path, backends.join(',')], ROOT, 'Arm NN', path);
  if (!c.ready.ok) {
    c.kill();
    throw new ModelError(`Arm NN refused ${path}: ${clean(c.ready.error ?? 'unknown error')}.`);
  }
  const r = c.runner(`Arm NN ${c.ready.version} TFLite parser (${(c.ready.backends ?? []).join(', ')})`, 1);
  if ((c.ready.backends ?? []).every((b) => b === 'CpuRef')) r.maxImages = ARMNN_CPUREF_IMAGES;
  const pads = c.ready.version?.startsWith('22.') ? armnnMisreadPads(readFileSync(path)) : 0;
  if (pads) r.caveat = `Arm NN ${c.ready.version} pads ${pads} int8 PAD ops of this file with the integer 0 instead of their zero point (a fault of Arm NN, reduced case in bench/RESULTS.md): its numbers are not the file's`;
  return r;
}

/** The sentence for an export's notes when Arm NN is not here to verify the file in. */
export function armnnAbsent(): string[] {
  const have = armnnAvailable();
  return have.ok ? [] : [`not run in Arm NN, the second TFLite runtime: ${have.why} (Debian: apt-get install python3-pyarmnn libarmnn-cpuref-backend22)`];
}

/** Arm NN as the second TFLite runtime: opened when installed; a file it refuses is reported, not fatal. */
export async function openArmnnOptional(path: string): Promise<Runner[]> {
  const have = armnnAvailable();
  if (!have.ok) return [];
  try {
    return [await openArmnn(path)];
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    const runtime = `Arm NN ${have.version} TFLite parser`;
    const refused = e.message;
    return [
      {
        runtime,
        refused,
        run: () => Promise.reject(new ModelError(refused)),
        release: () => Promise.resolve(),
      },
    ];
  }
}
