/**
 * Where the api's long jobs run, behind one interface: `inProcessHost` calls the work functions
 * (job-work.ts) in this process (tests and scripts); `processHost` runs each job in a process of
 * its own, so statistics, pruning, fine-tuning, export and compare never block the event loop
 * that answers the UI, and a crash or a runaway job cannot take the api down. The process comes
 * from a `spawn` function: `forkJobProcess` (Node's child_process.fork, the browser host) or
 * Electron's utilityProcess.fork (main/job-process.ts). Both speak the messages below, with
 * structured-clone serialisation, so graphs' Float32Arrays cross as they are.
 *
 * Progress events come back as the job's own progress; cancel asks the job to stop at its next
 * batch (so atomic writes clean up their temp files) and kills the process if it has not ended
 * within a grace period; an error in the job comes back as its one-sentence message (a user
 * mistake stays a UserError), and a process that dies says so in a sentence.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../model/errors.js';
import { JobCancelled, type JobContext } from './jobs.js';
import { WORK, type WorkInputs, type WorkOutputs } from './job-work.js';
import type { JobKind, TrainProgressDto } from './contract.js';

export interface JobHost {
  run<K extends JobKind>(kind: K, input: WorkInputs[K], ctx: JobContext): Promise<WorkOutputs[K]>;
  /** Stops any spare process. */
  close(): void;
}

/** Messages to a job process. */
export type ToWorker = { type: 'run'; kind: JobKind; input: unknown } | { type: 'cancel' };

/** Messages from a job process: `ready` once loaded, then progress*, then one of done / error / cancelled. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; label: string; done: number; total: number; train?: TrainProgressDto }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string; user: boolean }
  | { type: 'cancelled' };

/** One job process, whatever started it. */
export interface JobProcess {
  send(m: ToWorker): void;
  onMessage(fn: (m: FromWorker) => void): void;
  /** Called once when the process has ended (by itself, killed, or failed to start). */
  onExit(fn: (why: string) => void): void;
  kill(): void;
}

/** Runs jobs in this process. */
export const inProcessHost: JobHost = {
  run: (kind, input, ctx) => WORK[kind](input, ctx),
  close: () => {},
};

/** How long a cancelled job may take to stop by itself before its process is killed. */
const CANCEL_GRACE_MS = 3000;

/**
 * Runs each job in a fresh process from `spawn`. With `warm`, a spare process is started after
 * the first job, so later jobs do not wait for one to load.
 */
export function processHost(spawn: () => JobProcess, o: { warm?: boolean } = {}): JobHost {
  interface Spare {
    proc: JobProcess;
    ready: Promise<void>;
  }
  let spare: Spare | null = null;
  let closed = false;

  function start(): Spare {
    const proc = spawn();
    let exited = '';
    const listeners: ((m: FromWorker) => void)[] = [];
    const exits: ((why: string) => void)[] = [];
    proc.onMessage((m) => listeners.forEach((l) => l(m)));
    proc.onExit((why) => {
      exited = why;
      exits.forEach((l) => l(why));
    });
    const ready = new Promise<void>((ok, fail) => {
      listeners.push((m) => m.type === 'ready' && ok());
      exits.push((why) => fail(new Error(`The job process could not start: ${why}.`)));
    });
    ready.catch(() => {});
    // Expose the fan-out so run() can listen after the ready message.
    return {
      proc: {
        send: (m) => proc.send(m),
        onMessage: (fn) => listeners.push(fn),
        onExit: (fn) => (exited ? fn(exited) : exits.push(fn)),
        kill: () => proc.kill(),
      },
      ready,
    };
  }

  function take(): Spare {
    const s = spare ?? start();
    spare = o.warm && !closed ? start() : null;
    return s;
  }

  return {
    async run<K extends JobKind>(kind: K, input: WorkInputs[K], ctx: JobContext): Promise<WorkOutputs[K]> {
      if (closed) throw new UserError('The app is shutting down.');
      const { proc, ready } = take();
      return new Promise<WorkOutputs[K]>((resolve, reject) => {
        let settled = false;
        let sent = false;
        let killTimer: ReturnType<typeof setTimeout> | undefined;
        const finish = (f: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(killTimer);
          ctx.signal.removeEventListener('abort', onAbort);
          proc.kill();
          f();
        };
        const onAbort = (): void => {
          proc.send({ type: 'cancel' });
          killTimer = setTimeout(() => finish(() => reject(new JobCancelled())), CANCEL_GRACE_MS);
        };
        proc.onMessage((m) => {
          if (m.type === 'progress') {
            try {
              if (m.train) ctx.train(m.label, m.train);
              else ctx.progress.update(m.label, m.done, m.total);
            } catch {
              // cancelled: the abort listener is stopping the process
            }
          } else if (m.type === 'done') finish(() => resolve(m.result as WorkOutputs[K]));
          else if (m.type === 'cancelled') finish(() => reject(new JobCancelled()));
          else if (m.type === 'error') finish(() => reject(m.user ? new UserError(m.message) : new Error(m.message)));
        });
        proc.onExit((why) =>
          finish(() =>
            reject(ctx.signal.aborted ? new JobCancelled() : new Error(sent ? `the job's process stopped before it finished (${why})` : `The job process could not start: ${why}.`)),
          ),
        );
        if (ctx.signal.aborted) return finish(() => reject(new JobCancelled()));
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        ready.then(
          () => {
            if (settled || ctx.signal.aborted) return;
            sent = true;
            proc.send({ type: 'run', kind, input });
          },
          (e: unknown) => finish(() => reject(e)),
        );
      });
    },
    close() {
      closed = true;
      spare?.proc.kill();
      spare = null;
    },
  };
}

/** The job process's entry in a source checkout: registers tsx, then loads job-worker.ts. */
export const WORKER_BOOT = fileURLToPath(new URL('./job-worker-boot.mjs', import.meta.url));

/** A job process through Node's child_process.fork (the browser host). */
export function forkJobProcess(entry = WORKER_BOOT): JobProcess {
  const child = fork(entry, [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exits: ((why: string) => void)[] = [];
  const exit = (why: string): void => {
    if (exited) return;
    exited = true;
    exits.forEach((f) => f(why));
  };
  child.on('exit', (code, signal) => exit(signal ? `signal ${signal}` : `exit code ${code}`));
  child.on('error', (e) => exit(e.message));
  return {
    send: (m) => {
      if (!exited && child.connected) child.send(m);
    },
    onMessage: (fn) => child.on('message', (m) => fn(m as FromWorker)),
    onExit: (fn) => (exited ? fn('ended') : exits.push(fn)),
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  };
}
