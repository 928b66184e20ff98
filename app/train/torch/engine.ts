/**
 * The torch training engine behind the trainer's interface: `trainTorch(g, ds, options)` takes the
 * same options as `train()` and returns the same result, plus the engine and device that ran.
 * It writes a job folder (job.ts; a temporary one unless the caller keeps it), starts the
 * runner with the Python found by python.ts (or `python -m torch.distributed.run` for several
 * processes), turns its JSON lines into the trainer's progress and epoch callbacks, forwards
 * cancel as SIGINT (the runner stops after its current step; the last checkpoint stays), and
 * reads the trained weights back from result.seprune bit-exactly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Graph } from '../../model/ir.js';
import type { Dataset } from '../../data/types.js';
import { decodeProject } from '../../model/project-file.js';
import { UserError } from '../../model/errors.js';
import { TrainingCancelled, TrainingDivergedError } from '../../model/errors.js';
import type { TrainOptions, TrainResult, TrainProgress } from '../options.js';
import type { EpochSummary } from '../checkpoint.js';
import { writeJob, readJob, jobPath, type TorchJobSettings, RESULT_FILE } from './job.js';
import { findTorchPython, noTorchReason } from './python.js';

export interface TorchTrainOptions extends TrainOptions, TorchJobSettings {
  /** The Python to run (default: the first candidate of python.ts that imports torch). */
  python?: string;
  /** Processes for DDP through torchrun (default 1: no torchrun). */
  devices?: number;
  /** Keep the job folder here instead of a temporary folder that is removed afterwards. */
  jobDir?: string;
}

export interface TorchRunInfo {
  engine: 'torch';
  device: string;
  deviceName: string;
  /** Why this device (asked for, or what auto found). */
  deviceWhy: string;
  torch: string;
  python: string;
  worldSize: number;
}

export type TorchTrainResult = TrainResult & TorchRunInfo;

/**
 * torchrun's flags for one machine. `--redirects 1 --tee 1` copies each worker's stdout to the
 * console with a `[rank]:` prefix; it also avoids torchrun 1.13's crash on Python 3.11 (its
 * default `--redirects 0` maps to no stream there: enum flag iteration skips 0).
 */
export const TORCHRUN_FLAGS = ['--standalone', '--redirects', '1', '--tee', '1'];

interface RunnerEvent {
  event: string;
  [k: string]: unknown;
}

/** Runs the job folder `dir` with `python`; resolves with the runner's `done` event. */
export async function runJob(
  dir: string,
  python: string,
  o: { devices?: number; signal?: AbortSignal; onProgress?: (p: TrainProgress) => void; onEpoch?: (s: EpochSummary) => void; onStarted?: (ev: RunnerEvent) => void },
): Promise<{ done: RunnerEvent; started: RunnerEvent }> {
  const devices = o.devices ?? 1;
  const script = join(dir, 'run.py');
  const args = devices > 1 ? ['-m', 'torch.distributed.run', ...TORCHRUN_FLAGS, `--nproc_per_node=${devices}`, script, dir] : [script, dir];
  const child = spawn(python, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const onAbort = () => child.kill('SIGINT');
  o.signal?.addEventListener('abort', onAbort);
  let started: RunnerEvent | undefined;
  let done: RunnerEvent | undefined;
  let failure: RunnerEvent | undefined;
  let cancelled: RunnerEvent | undefined;
  // A callback that throws (the app's job sender throws JobCancelled once its job is cancelled)
  // must not escape this event handler as an uncaught exception: the first such error stops the
  // runner like a cancel and is what the run rejects with.
  let callbackError: unknown;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (callbackError !== undefined) return;
    try {
      onLine(line);
    } catch (e) {
      callbackError = e;
      child.kill('SIGINT');
    }
  });
  const onLine = (line: string): void => {
    let ev: RunnerEvent;
    try {
      ev = JSON.parse(line.replace(/^\[[^\]]*\]:/, '')) as RunnerEvent;
    } catch {
      return; // a library's own print
    }
    if (ev.event === 'started') {
      started = ev;
      o.onStarted?.(ev);
    } else if (ev.event === 'progress') o.onProgress?.(ev as unknown as TrainProgress);
    else if (ev.event === 'epoch') {
      const { event: _e, ...s } = ev;
      void _e;
      o.onEpoch?.(s as unknown as EpochSummary);
    } else if (ev.event === 'done') done = ev;
    else if (ev.event === 'error') failure = ev;
    else if (ev.event === 'cancelled') cancelled = ev;
  };
  const code = await new Promise<number | null>((res, rej) => {
    child.on('error', rej);
    child.on('close', (c) => res(c));
  }).finally(() => o.signal?.removeEventListener('abort', onAbort));
  if (callbackError !== undefined) throw callbackError;
  if (failure) throw runnerError(failure);
  if (cancelled || (o.signal?.aborted && !done)) {
    const job = readJob(dir);
    const last = cancelled?.lastCheckpoint;
    throw new TrainingCancelled(Number(cancelled?.epoch ?? 0), typeof last === 'number' ? last : undefined, job.checkpointDir ? jobPath(dir, job.checkpointDir) : undefined);
  }
  if (!done || !started) {
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`the torch runner exited with code ${code} before finishing${tail ? `: ${tail}` : ''}`);
  }
  return { done, started };
}

/** The runner's error event as a typed error when its facts say what it was, else its sentence. */
function runnerError(ev: RunnerEvent): UserError {
  const f = ev.facts as { kind?: string; loss?: string; epoch?: number; step?: number; lr?: number; suggestedLr?: string } | undefined;
  if (f?.kind === 'diverged') return new TrainingDivergedError(String(f.loss), Number(f.epoch), Number(f.step), Number(f.lr), String(f.suggestedLr));
  return new UserError(String(ev.message));
}

/** The trained graph and the result of a finished job folder. */
export function jobResult(dir: string, done: RunnerEvent, started: RunnerEvent, python: string): TorchTrainResult {
  const job = readJob(dir);
  const graph: Graph = decodeProject(readFileSync(jobPath(dir, job.out ?? RESULT_FILE)), `The job's result ${RESULT_FILE}`).graph;
  return {
    graph,
    epochs: Number(done.epochs),
    imagesPerSecond: Number(done.imagesPerSecond),
    backend: 'torch',
    history: done.history as EpochSummary[],
    ...(typeof done.resumedFrom === 'number' ? { resumedFrom: done.resumedFrom } : {}),
    teacherImages: Number(done.teacherImages ?? 0),
    threads: Number(started.threads ?? 1),
    engine: 'torch',
    device: String(started.device),
    deviceName: String(started.deviceName),
    deviceWhy: String(started.why ?? ''),
    torch: String(started.torch),
    python,
    worldSize: Number(started.worldSize ?? 1),
  };
}

/** Trains `g` on `ds` with PyTorch; the same contract as train() (the graph passed in is never modified). */
export async function trainTorch(g: Graph, ds: Dataset, o: TorchTrainOptions): Promise<TorchTrainResult> {
  const python = o.python ?? findTorchPython().found?.python;
  if (!python) throw new UserError(`The torch engine cannot run: ${noTorchReason(findTorchPython())}.`);
  const devices = o.devices ?? 1;
  const dir = o.jobDir ?? mkdtempSync(join(tmpdir(), 'seprune-torch-'));
  try {
    const threads = o.threads ?? Math.max(1, Math.floor(availableParallelism() / devices));
    await writeJob(g, ds, o, dir, { ...o, threads });
    const { done, started } = await runJob(dir, python, { devices, signal: o.signal, onProgress: o.onProgress, onEpoch: o.onEpoch });
    return jobResult(dir, done, started, python);
  } finally {
    if (!o.jobDir) rmSync(dir, { recursive: true, force: true });
  }
}
