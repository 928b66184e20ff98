/**
 * A TFLite runtime in a child process that answers one JSON line per request (the tfjs-tflite
 * child, export/tflite/runtime/run.ts, and the Arm NN child, runtime/armnn_run.py): images go
 * through files in a private folder beside the model (the export's staging folder), the child answers `{ ok, latencyMs }` per batch
 * and `{ ok, latencyMs, runs }` to a timed batch-1 request. Both share this Runner.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { ModelError } from '../../app/model/errors.js';
import type { Runner } from '../types.js';

export interface Reply {
  ok: boolean;
  error?: string;
  ready?: boolean;
  outputSize?: number;
  latencyMs?: number;
  runs?: number;
  version?: string;
  backends?: string[];
}

export const clean = (s: string): string => s.replace(/\s+/g, ' ').trim().replace(/[.\s]+$/, '');

export interface TfliteRunner extends Runner {
  /** Median per-image latency of the last run. */
  lastLatencyMs: number;
}

export interface ChildRuntime {
  /** The child's first line (`ready`, or the refusal). */
  ready: Reply;
  runner: (runtime: string, threads: number) => TfliteRunner;
  kill: () => void;
}

/** Starts `cmd args`; resolves with its first answer. `what` names the runtime in error messages. */
export async function startChild(cmd: string, args: string[], cwd: string, what: string, path: string): Promise<ChildRuntime> {
  const child: ChildProcessWithoutNullStreams = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let spawnError = '';
  child.on('error', (e) => (spawnError = e.message));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const lines: Interface = createInterface({ input: child.stdout });
  const iter = lines[Symbol.asyncIterator]();
  const next = async (): Promise<Reply> => {
    const r = await iter.next();
    if (r.done) {
      const why = spawnError || stderr.split('\n').filter((l) => /error/i.test(l)).join(' ') || stderr;
      throw new ModelError(`The ${what} process ended unexpectedly${why ? `: ${clean(why)}` : ''}.`);
    }
    return JSON.parse(r.value) as Reply;
  };
  const ready = await next();
  const kill = () => void child.kill();
  const runner = (runtime: string, threads: number): TfliteRunner => {
    // Beside the model (an export's staging folder, removed with it), else the temporary folder.
    let dir: string;
    try {
      dir = mkdtempSync(join(dirname(path), '.seprune-io-'));
    } catch {
      dir = mkdtempSync(join(tmpdir(), 'seprune-tflite-'));
    }
    let calls = 0;
    const write = (x: Float32Array): string => {
      const p = join(dir, `in${calls++}.f32`);
      writeFileSync(p, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      return p;
    };
    const ask = async (req: object): Promise<Reply> => {
      child.stdin.write(JSON.stringify(req) + '\n');
      const r = await next();
      if (!r.ok) throw new ModelError(`${what} failed to run ${path}: ${clean(r.error ?? 'unknown error')}.`);
      return r;
    };
    const self: TfliteRunner = {
      runtime,
      lastLatencyMs: 0,
      async run(x: Float32Array, n: number): Promise<Float32Array> {
        const input = write(x);
        const output = join(dir, `out${calls}.f32`);
        const r = await ask({ input, n, output });
        const raw = readFileSync(output);
        rmSync(input, { force: true });
        rmSync(output, { force: true });
        self.lastLatencyMs = r.latencyMs ?? 0;
        return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      },
      async latency(x1: Float32Array, runs: number) {
        const input = write(x1);
        const r = await ask({ latency: input, runs });
        rmSync(input, { force: true });
        return { ms: r.latencyMs ?? 0, runs: r.runs ?? runs, threads };
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
    return self;
  };
  return { ready, runner, kill };
}
