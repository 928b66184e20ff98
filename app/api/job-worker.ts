/**
 * A job process (see job-host.ts): waits for one `run` message, does that job's work
 * (job-work.ts) with a JobContext whose progress goes back as messages and whose signal a
 * `cancel` message aborts, answers `done`, `error` (one sentence; whether it is a user mistake)
 * or `cancelled`, and ends. It speaks through Electron's `process.parentPort` in a utility
 * process, else through Node's IPC channel (child_process.fork), and ends when its parent goes.
 */
import { UserError } from '../model/errors.js';
import { appMessage } from './error-words.js';
import { JobCancelled, jobContext, type JobContext } from './jobs.js';
import { WORK } from './job-work.js';
import type { FromWorker, ToWorker } from './job-host.js';
import type { JobKind } from './contract.js';

interface ParentPort {
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
  postMessage(m: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function post(m: FromWorker): void {
  if (parentPort) parentPort.postMessage(m);
  else process.send?.(m);
}

function onMessage(fn: (m: ToWorker) => void): void {
  if (parentPort) parentPort.on('message', (e) => fn(e.data as ToWorker));
  else process.on('message', (m) => fn(m as ToWorker));
}

const ctl = new AbortController();
let started = false;

async function run(kind: JobKind, input: unknown): Promise<void> {
  const ctx = jobContext(ctl.signal, 50, (label, done, total, train) => post({ type: 'progress', label, done, total, ...(train ? { train } : {}) }));
  try {
    const result = await (WORK[kind] as (i: unknown, c: JobContext) => Promise<unknown>)(input, ctx);
    ctx.check();
    post({ type: 'done', result });
  } catch (e) {
    if (e instanceof JobCancelled || ctl.signal.aborted) post({ type: 'cancelled' });
    else post({ type: 'error', message: e instanceof UserError ? appMessage(e) : e instanceof Error ? e.message : String(e), user: e instanceof UserError });
  }
}

onMessage((m) => {
  if (m.type === 'cancel') ctl.abort();
  else if (m.type === 'run' && !started) {
    started = true;
    void run(m.kind, m.input);
  }
});
if (!parentPort) process.on('disconnect', () => process.exit(0));
post({ type: 'ready' });
