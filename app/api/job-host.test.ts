/**
 * The job host: with jobs in a child process the api's event loop stays free while statistics
 * run; a user mistake inside the job comes back as its own sentence; progress is forwarded;
 * cancel asks the job to stop and kills a job that does not; a process that dies or cannot start
 * becomes a readable error, never a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { JobContext } from './jobs.js';
import { forkJobProcess, processHost, type FromWorker, type JobProcess, type ToWorker } from './job-host.js';
import { serviceHarness } from './service-harness.js';

/** A job process that answers as `script` says, without starting anything. */
function fakeProcess(script: (m: ToWorker, say: (m: FromWorker) => void, exit: (why: string) => void) => void): JobProcess & { killed: boolean } {
  let onMsg: (m: FromWorker) => void = () => {};
  let onExit: (why: string) => void = () => {};
  const p = {
    killed: false,
    send: (m: ToWorker) => setImmediate(() => script(m, onMsg, onExit)),
    onMessage: (fn: (m: FromWorker) => void) => {
      onMsg = fn;
      setImmediate(() => fn({ type: 'ready' }));
    },
    onExit: (fn: (why: string) => void) => {
      onExit = fn;
    },
    kill: () => {
      p.killed = true;
    },
  };
  return p;
}

function context(): { ctx: JobContext; ctl: AbortController; seen: string[] } {
  const ctl = new AbortController();
  const seen: string[] = [];
  const ctx: JobContext = {
    signal: ctl.signal,
    progress: { update: (l, d, t) => seen.push(`${l} ${d}/${t}`), done: () => {} },
    check: () => {},
    train: (l) => seen.push(l),
  };
  return { ctx, ctl, seen };
}

const input = {} as never;

test('progress is forwarded and the result returned; the process is ended after', async () => {
  const p = fakeProcess((m, say) => {
    if (m.type !== 'run') return;
    say({ type: 'progress', label: 'images', done: 1, total: 2 });
    say({ type: 'done', result: { ok: m.kind } });
  });
  const { ctx, seen } = context();
  assert.deepEqual(await processHost(() => p).run('stats', input, ctx), { ok: 'stats' });
  assert.deepEqual(seen, ['images 1/2']);
  assert.equal(p.killed, true);
});

test('errors: a user mistake stays a sentence, a bug is marked as one, a dead or unstartable process is a readable error', async () => {
  const { ctx } = context();
  const user = fakeProcess((m, say) => m.type === 'run' && say({ type: 'error', message: 'Dataset folder /x does not exist.', user: true }));
  await assert.rejects(processHost(() => user).run('stats', input, ctx), (e: Error) => e.name === 'UserError' && e.message === 'Dataset folder /x does not exist.');
  const bug = fakeProcess((m, say) => m.type === 'run' && say({ type: 'error', message: 'x is undefined', user: false }));
  await assert.rejects(processHost(() => bug).run('stats', input, ctx), (e: Error) => e.name === 'Error' && e.message === 'x is undefined');
  const dies = fakeProcess((m, _say, exit) => m.type === 'run' && exit('signal SIGKILL'));
  await assert.rejects(processHost(() => dies).run('prune', input, ctx), /stopped before it finished \(signal SIGKILL\)/);
  const never: JobProcess = { send: () => {}, onMessage: () => {}, onExit: (fn) => setImmediate(() => fn('exit code 1')), kill: () => {} };
  await assert.rejects(processHost(() => never).run('export', input, ctx), /could not start: exit code 1/);
});

test('cancel: the job is asked to stop; one that does not is killed after the grace period', { timeout: 10_000 }, async () => {
  const polite = fakeProcess((m, say) => m.type === 'cancel' && say({ type: 'cancelled' }));
  const a = context();
  const pa = processHost(() => polite).run('finetune', input, a.ctx);
  setTimeout(() => a.ctl.abort(), 20);
  await assert.rejects(pa, (e: Error) => e.name === 'JobCancelled');
  assert.equal(polite.killed, true);

  const stubborn = fakeProcess(() => {});
  const b = context();
  const pb = processHost(() => stubborn).run('finetune', input, b.ctx);
  setTimeout(() => b.ctl.abort(), 20);
  const t0 = Date.now();
  await assert.rejects(pb, (e: Error) => e.name === 'JobCancelled');
  assert.ok(Date.now() - t0 >= 2500, 'waited for the grace period');
  assert.equal(stubborn.killed, true);
});

test('a real job process: the event loop stays free while statistics run, and a mistake inside the job is its sentence', { timeout: 120_000 }, async (t) => {
  const { service, events, until } = serviceHarness({ jobs: processHost(() => forkJobProcess()) }, 50_000, 25);
  try {
    const m = await service.openModel({ model: 'zoo:se-resnet-demo' });
    const data = { data: 'fashion-mnist', split: 'train' as const, limit: 600, seed: 0, preprocess: m.preprocessing };
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const job = await service.runStats({ modelId: m.id, ...data });
    const done = await until(job.jobId);
    delay.disable();
    assert.equal(done.type, 'done', JSON.stringify(done).slice(0, 300));
    assert.ok(events.some((e) => e.jobId === job.jobId && e.type === 'progress'), 'progress came through');
    // The statistics ran elsewhere: this loop never stalled for long.
    t.diagnostic(`event loop while the job ran: max ${(delay.max / 1e6).toFixed(0)} ms, mean ${(delay.mean / 1e6).toFixed(1)} ms`);
    // Measured on 2 busy cores: max 54 ms / mean 12 ms here, against max 418 ms / mean 28 ms with the same job in-process.
    assert.ok(delay.max / 1e6 < 250, `longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms`);

    const bad = await service.runStats({ modelId: m.id, ...data, data: '/no/such/dataset-folder' });
    const err = await until(bad.jobId);
    assert.deepEqual(err, { type: 'error', jobId: bad.jobId, message: 'Dataset folder /no/such/dataset-folder does not exist.' });
  } finally {
    service.close();
  }
});
