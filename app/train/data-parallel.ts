/**
 * Data-parallel training on the CPU: tfjs's cpu backend computes on one thread, so on a machine
 * with more cores the trainer starts worker threads that each hold a replica of the model. Every
 * step the batch is cut into shards; the trainer computes the first and each worker one other,
 * all at the same time; the gradients are averaged (weighted by shard size, which makes them the
 * gradient of the batch's mean loss) and the trainer's optimiser applies them once. Batch norm
 * normalises each shard with its own statistics and the moving averages are the shards' average,
 * as in PyTorch's DistributedDataParallel without SyncBatchNorm. Workers keep no state between
 * steps: each request carries the current weights (a demo model's are a few hundred kB), so they
 * never drift from the trainer's copy.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../model/errors.js';
import type { ShardInit, ShardReply, ShardRequest, ShardResult } from './shard-protocol.js';

/** Most extra threads the default uses (beyond that the per-step exchange stops paying on small models). */
const MAX_AUTO_WORKERS = 3;

/** Worker threads that use the cores the trainer's own thread leaves idle: one per extra core, at most 3. */
export function autoWorkers(): number {
  return Math.max(0, Math.min(availableParallelism() - 1, MAX_AUTO_WORKERS));
}

/** Sizes of `parts` shards of `n` images, as even as possible (the first gets the remainder). */
export function shardSizes(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < n % parts ? 1 : 0));
}

export class ShardPool {
  private constructor(private readonly workers: Worker[]) {}

  get size(): number {
    return this.workers.length;
  }

  /** Starts `count` workers and waits until each holds its replica. */
  static async start(count: number, init: ShardInit): Promise<ShardPool> {
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        // execArgv []: the entry registers its own TypeScript loader, whatever the parent ran with.
        workers.push(new Worker(new URL('./shard-worker-entry.mjs', import.meta.url), { workerData: init, execArgv: [] }));
      }
      await Promise.all(workers.map((w) => reply<{ ready: true }>(w)));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new ShardPool(workers);
  }

  /** Sends worker `i` its shard; resolves with its gradients. */
  run(i: number, req: ShardRequest): Promise<ShardResult> {
    const w = this.workers[i];
    const answer = reply<ShardReply>(w).then((r) => {
      if (r.error !== undefined) throw r.user ? new UserError(r.error) : new Error(`data-parallel worker: ${r.error}`);
      return r;
    });
    w.postMessage(req);
    return answer;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The worker's next message; rejects if it fails or exits first. */
function reply<T>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: T) => {
      done();
      resolve(m);
    };
    const onError = (e: Error) => {
      done();
      reject(new Error(`data-parallel worker failed: ${e.message}`));
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`data-parallel worker exited (code ${code})`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}
