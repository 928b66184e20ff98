/**
 * At most `limit` jobs run at once; the rest wait in order, each told its place by a `queued`
 * event (and the call's answer), start when a running job ends, and can be cancelled while they
 * wait. Through the browser host with a limit of 1: three statistics jobs run one after another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultJobLimit, JobRunner } from './jobs.js';
import { startAppServer } from './server.js';
import { TOKEN_HEADER, type JobEvent, type JobStarted, type ModelInfo } from './contract.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('16 jobs under a limit of 3: never more than 3 run, the rest are queued in order, a queued one can be cancelled', async () => {
  const events: JobEvent[] = [];
  const runner = new JobRunner((e) => events.push(e), 3);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const started: JobStarted[] = [];
  for (let i = 0; i < 16; i++) {
    started.push(runner.start('stats', async (ctx) => {
      running++;
      peak = Math.max(peak, running);
      order.push(i);
      for (let k = 0; k < 4; k++) {
        await tick();
        ctx.check();
      }
      running--;
      return { modelId: `m${i}` } as never;
    }));
  }
  assert.deepEqual(started.slice(0, 3).map((s) => s.queued), [undefined, undefined, undefined]);
  assert.deepEqual(started[3].queued, { position: 1, limit: 3 });
  assert.deepEqual(started[15].queued, { position: 13, limit: 3 });
  assert.deepEqual(runner.counts, { running: 3, queued: 13 });
  assert.equal(runner.cancel(started[10].jobId), true);
  for (let i = 0; i < 400 && events.filter((e) => e.type === 'done' || e.type === 'cancelled').length < 16; i++) await tick();
  assert.equal(peak, 3);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15]);
  assert.equal(events.filter((e) => e.type === 'done').length, 15);
  assert.deepEqual(events.filter((e) => e.type === 'cancelled').map((e) => e.jobId), [started[10].jobId]);
  // Job 15 was told its place each time the queue moved, ending next in line.
  const places = events.filter((e): e is Extract<JobEvent, { type: 'queued' }> => e.type === 'queued' && e.jobId === started[15].jobId).map((e) => e.position);
  assert.equal(places[0], 13);
  assert.equal(places.at(-1), 1);
  assert.deepEqual(places, [...places].sort((a, b) => b - a));
  // A queued job reports "starting" once it leaves the queue, before its result.
  const ev15 = events.filter((e) => e.jobId === started[15].jobId && e.type !== 'queued').map((e) => e.type);
  assert.deepEqual(ev15, ['progress', 'done']);
  assert.deepEqual(runner.counts, { running: 0, queued: 0 });
});

test('the default limit is the machine\'s cores, or SEPRUNE_MAX_JOBS; a bad limit is refused', () => {
  assert.ok(defaultJobLimit({}) >= 1);
  assert.equal(defaultJobLimit({ SEPRUNE_MAX_JOBS: '5' }), 5);
  assert.equal(defaultJobLimit({ SEPRUNE_MAX_JOBS: 'x' }), defaultJobLimit({}));
  assert.throws(() => new JobRunner(() => {}, 0), /^UserError: The job limit must be a whole number ≥ 1, not 0\.$/);
});

test('the browser host with maxJobs 1 queues the second and third statistics job and runs them in turn', { timeout: 90_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'seprune-queue-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const s = await startAppServer({ root, port: 0, configDir: join(root, 'config'), warmJobProcess: false, maxJobs: 1 });
  const auth = { [TOKEN_HEADER]: s.token };
  const events: JobEvent[] = [];
  const stream = await new Promise<import('node:http').IncomingMessage>((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: s.port, path: '/api/events', headers: auth }, ok);
    req.on('error', fail);
    req.end();
  });
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (c: string) => {
    buf += c;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (frame.startsWith('data: ')) events.push(JSON.parse(frame.slice(6)) as JobEvent);
    }
  });
  const call = async <T>(m: string, body: unknown): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${s.port}/api/${m}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(j.error);
    return j;
  };
  try {
    const m = await call<ModelInfo>('openModel', { model: 'zoo:se-mobilenet-demo' });
    const req = { modelId: m.id, data: 'fashion-mnist', split: 'test', limit: 20, seed: 0, preprocess: m.preprocessing };
    const jobs = [await call<JobStarted>('runStats', req), await call<JobStarted>('runStats', req), await call<JobStarted>('runStats', req)];
    assert.deepEqual(jobs.map((j) => j.queued), [undefined, { position: 1, limit: 1 }, { position: 2, limit: 1 }]);
    const end = (id: string) => events.findIndex((e) => e.jobId === id && (e.type === 'done' || e.type === 'error' || e.type === 'cancelled'));
    for (let i = 0; i < 1200 && jobs.some((j) => end(j.jobId) < 0); i++) await new Promise((r) => setTimeout(r, 50));
    for (const j of jobs) assert.equal(events[end(j.jobId)]?.type, 'done', JSON.stringify(events.filter((e) => e.jobId === j.jobId && e.type !== 'progress')));
    // Each job starts only after the one before it ended.
    const first = (id: string) => events.findIndex((e) => e.jobId === id && e.type === 'progress');
    assert.ok(first(jobs[1].jobId) > end(jobs[0].jobId));
    assert.ok(first(jobs[2].jobId) > end(jobs[1].jobId));
    assert.ok(events.some((e) => e.jobId === jobs[2].jobId && e.type === 'queued' && e.position === 1), 'job 3 moved up');
  } finally {
    stream.destroy();
    await s.close();
    rmSync(root, { recursive: true, force: true });
  }
});
