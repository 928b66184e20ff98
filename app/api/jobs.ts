/**
 * Long jobs of the api: each runs off the request path (the call answers with a job id at once),
 * reports progress as JobEvents, and can be cancelled through an AbortSignal. The core's loops
 * report progress after every batch, so cancelling takes effect at the next batch: the job's
 * Progress throws a JobCancelled there.
 *
 * At most `limit` jobs run at once (default: the machine's cores, or SEPRUNE_MAX_JOBS): every job
 * holds a process and its data, so 16 statistics jobs at once took 17 processes and 4.1 GB. The
 * rest wait in order; each wait is a `queued` event (and the call's answer says so), and a queued
 * job can be cancelled before it starts.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Progress } from '../util/progress.js';
import type { JobEvent, JobKind, JobResults, JobStarted, TrainProgressDto } from './contract.js';
import { UserError } from '../model/errors.js';
import { appMessage } from './error-words.js';

/** Thrown inside a job once it has been cancelled. */
export class JobCancelled extends Error {
  constructor() {
    super('The job was cancelled.');
    this.name = 'JobCancelled';
  }
}

/** What a job's work function gets: its signal and a Progress that stops the work when cancelled. */
export interface JobContext {
  signal: AbortSignal;
  progress: Progress;
  /** Throws JobCancelled when the job has been cancelled (call between steps). */
  check(): void;
  /** A training step's progress: a progress event carrying the loss/accuracy the UI charts. */
  train(label: string, ev: TrainProgressDto): void;
}

/** A progress report on its way out of a job (to the UI, or to the parent process). */
export type ProgressSink = (label: string, done: number, total: number, train?: TrainProgressDto) => void;

/**
 * The JobContext of a job cancelled through `signal`: every progress report first checks for
 * cancellation, and reaches `sink` at most once per `intervalMs` (the last step always does).
 */
export function jobContext(signal: AbortSignal, intervalMs: number, sink: ProgressSink): JobContext {
  const check = (): void => {
    if (signal.aborted) throw new JobCancelled();
  };
  let last = 0;
  const send: ProgressSink = (label, done, total, train) => {
    check();
    const now = Date.now();
    if (now - last < intervalMs && done < total) return;
    last = now;
    sink(label, done, total, train);
  };
  return {
    signal,
    progress: { update: (label, done, total) => send(label, done, total), done: () => {} },
    check,
    train: (label, ev) => send(label, ev.step, ev.steps, ev),
  };
}

/** The readable message of any error a job or call throws. */
export function errorMessage(e: unknown): string {
  if (e instanceof UserError) return appMessage(e);
  const m = e instanceof Error ? e.message : String(e);
  return `Something went wrong inside the app (a bug): ${m}`;
}

/** The default number of jobs run at once: SEPRUNE_MAX_JOBS when set, else the machine's cores. */
export function defaultJobLimit(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.SEPRUNE_MAX_JOBS);
  return Number.isInteger(v) && v >= 1 ? v : Math.max(1, availableParallelism());
}

interface Waiting {
  jobId: string;
  go: () => void;
  ended: () => void;
}

export class JobRunner {
  private readonly running = new Map<string, AbortController>();
  private readonly waiting: Waiting[] = [];
  /** Jobs allowed to run at once. */
  readonly limit: number;

  constructor(private readonly emit: (e: JobEvent) => void, limit = defaultJobLimit()) {
    if (!Number.isInteger(limit) || limit < 1) throw new UserError(`The job limit must be a whole number ≥ 1, not ${limit}.`);
    this.limit = limit;
  }

  /** Jobs running and waiting now. */
  get counts(): { running: number; queued: number } {
    return { running: this.running.size, queued: this.waiting.length };
  }

  /**
   * Starts `work` on the next tick, or queues it behind `limit` running jobs; its result or error
   * arrives as a JobEvent. `ended` runs once the job is over, however it ends (cancelled while
   * queued included).
   */
  start<K extends JobKind>(kind: K, work: (ctx: JobContext) => Promise<JobResults[K]>, ended: () => void = () => {}): JobStarted {
    const jobId = randomUUID();
    const go = (fromQueue: boolean): void => {
      const ctl = new AbortController();
      this.running.set(jobId, ctl);
      const ctx = jobContext(ctl.signal, 100, (label, done, total, train) =>
        this.emit({ type: 'progress', jobId, label, done, total, ...(train ? { train } : {}) }),
      );
      if (fromQueue) this.emit({ type: 'progress', jobId, label: 'starting', done: 0, total: 0 });
      setImmediate(() => {
        work(ctx)
          .then((result) => {
            ctx.check();
            this.emit({ type: 'done', jobId, kind, result });
          })
          .catch((e: unknown) => {
            if (e instanceof JobCancelled || ctl.signal.aborted) this.emit({ type: 'cancelled', jobId });
            else this.emit({ type: 'error', jobId, message: errorMessage(e) });
          })
          .finally(() => {
            this.running.delete(jobId);
            ended();
            this.next();
          });
      });
    };
    if (this.running.size < this.limit && this.waiting.length === 0) {
      go(false);
      return { jobId, kind };
    }
    this.waiting.push({ jobId, go: () => go(true), ended });
    const queued = { position: this.waiting.length, limit: this.limit };
    this.emit({ type: 'queued', jobId, ...queued });
    return { jobId, kind, queued };
  }

  /** Starts waiting jobs while there is room, and tells the rest their new place. */
  private next(): void {
    let moved = false;
    while (this.running.size < this.limit && this.waiting.length > 0) {
      this.waiting.shift()!.go();
      moved = true;
    }
    if (moved) this.waiting.forEach((w, i) => this.emit({ type: 'queued', jobId: w.jobId, position: i + 1, limit: this.limit }));
  }

  /** Asks a running job to stop, or takes a waiting one off the queue; false when no such job. */
  cancel(jobId: string): boolean {
    const ctl = this.running.get(jobId);
    if (ctl) {
      ctl.abort();
      return true;
    }
    const i = this.waiting.findIndex((w) => w.jobId === jobId);
    if (i < 0) return false;
    this.waiting.splice(i, 1)[0].ended();
    setImmediate(() => this.emit({ type: 'cancelled', jobId }));
    this.waiting.slice(i).forEach((w, k) => this.emit({ type: 'queued', jobId: w.jobId, position: i + k + 1, limit: this.limit }));
    return true;
  }

  /** Cancels every running and waiting job (when the host stops). */
  cancelAll(): void {
    for (const w of this.waiting.splice(0)) {
      w.ended();
      this.emit({ type: 'cancelled', jobId: w.jobId });
    }
    for (const ctl of this.running.values()) ctl.abort();
  }
}
