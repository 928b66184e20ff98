/**
 * Long jobs of the api: each runs off the request path (the call answers with a job id at once),
 * reports progress as JobEvents, and can be cancelled through an AbortSignal. The core's loops
 * report progress after every batch, so cancelling takes effect at the next batch: the job's
 * Progress throws a JobCancelled there.
 */
import { randomUUID } from 'node:crypto';
import type { Progress } from '../util/progress.js';
import type { JobEvent, JobKind, JobResults, JobStarted, TrainProgressDto } from './contract.js';
import { UserError } from '../model/errors.js';

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
  if (e instanceof UserError) return e.message;
  const m = e instanceof Error ? e.message : String(e);
  return `Something went wrong inside the app (a bug): ${m}`;
}

export class JobRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly emit: (e: JobEvent) => void) {}

  /** Starts `work` on the next tick; its result or error arrives as a JobEvent. */
  start<K extends JobKind>(kind: K, work: (ctx: JobContext) => Promise<JobResults[K]>): JobStarted {
    const jobId = randomUUID();
    const ctl = new AbortController();
    this.running.set(jobId, ctl);
    const ctx = jobContext(ctl.signal, 100, (label, done, total, train) =>
      this.emit({ type: 'progress', jobId, label, done, total, ...(train ? { train } : {}) }),
    );
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
        .finally(() => this.running.delete(jobId));
    });
    return { jobId, kind };
  }

  /** Asks a running job to stop; false when no such job runs. */
  cancel(jobId: string): boolean {
    const ctl = this.running.get(jobId);
    if (!ctl) return false;
    ctl.abort();
    return true;
  }

  /** Cancels every running job (when the host stops). */
  cancelAll(): void {
    for (const ctl of this.running.values()) ctl.abort();
  }
}
