/**
 * A session holds at most MAX_OPEN_MODELS in memory, setting the least recently used aside on disk,
 * but never a model a running or queued job uses, nor the current model's ancestors (undo goes
 * there). 60 opens of the same zoo model leave 8 held; each of the others comes back, statistics
 * and all, when it is used. Beyond the spill's disk limit the oldest are freed for good.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createService, MAX_OPEN_MODELS } from './service.js';
import { PRUNE_DEFAULTS, type JobEvent, type JobStarted } from './contract.js';

const MODEL = 'zoo:se-resnet-demo';

async function ended(events: JobEvent[], jobs: JobStarted[]): Promise<void> {
  const over = () => jobs.every((j) => events.some((e) => e.jobId === j.jobId && (e.type === 'done' || e.type === 'error' || e.type === 'cancelled')));
  for (let i = 0; i < 1200 && !over(); i++) await new Promise((r) => setTimeout(r, 50));
  for (const j of jobs) {
    const e = events.find((x) => x.jobId === j.jobId && x.type !== 'progress' && x.type !== 'queued');
    assert.equal(e?.type, 'done', JSON.stringify(e));
  }
}

test('60 opens hold 8 models, the least recently used go; models jobs use stay until the jobs end', { timeout: 90_000 }, async () => {
  const events: JobEvent[] = [];
  const service = createService({ emit: (e) => events.push(e), recent: null, maxJobs: 1 });
  try {
    assert.equal(MAX_OPEN_MODELS, 8);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push((await service.openModel({ model: MODEL })).id);
      assert.ok(service.heldModels().length <= 8, `${service.heldModels().length} held after ${i + 1} opens`);
    }
    assert.deepEqual(service.heldModels(), ids.slice(-8));
    assert.deepEqual((await service.sessionModels()).map((m) => m.id), ids, 'every model is still in the session');
    // ids[0] was set aside: using it reads it back (and sets another aside).
    await assert.rejects(service.undo({ modelId: ids[0] }), /Nothing to undo: this model was opened, not pruned\./);
    assert.ok(service.heldModels().includes(ids[0]));
    assert.equal(service.heldModels().length, 8);

    // Using a model makes it the most recent: ids[53], the oldest held, survives the next open; ids[54] goes.
    assert.deepEqual(service.heldModels(), [...ids.slice(53), ids[0]]);
    const info = await service.undo({ modelId: ids[53] }).catch(() => null);
    assert.equal(info, null, 'an opened model has nothing to undo');
    await service.openModel({ model: MODEL });
    assert.ok(service.heldModels().includes(ids[53]));
    assert.ok(!service.heldModels().includes(ids[54]), 'ids[54] was then the least recently used');

    // A running job's model and a queued job's model stay held while 20 more are opened.
    const pre = { channels: 1 as const, mean: [0], std: [1] };
    const stats = { data: 'fashion-mnist', split: 'test' as const, limit: 20, seed: 0, preprocess: pre };
    const a = ids[54];
    const b = ids[55];
    const jobA = await service.runStats({ modelId: a, ...stats });
    const jobB = await service.runStats({ modelId: b, ...stats });
    assert.deepEqual(jobB.queued, { position: 1, limit: 1 });
    for (let i = 0; i < 20; i++) await service.openModel({ model: MODEL });
    assert.ok(service.heldModels().includes(a) && service.heldModels().includes(b), service.heldModels().join(' '));
    await ended(events, [jobA, jobB]);
    // Once the jobs are over (running them made their models recent), 8 more opens free them.
    for (let i = 0; i < 8; i++) await service.openModel({ model: MODEL });
    assert.ok(!service.heldModels().includes(a) && !service.heldModels().includes(b), service.heldModels().join(' '));
    assert.equal(service.heldModels().length, 8);
  } finally {
    service.close();
  }
});

test('a pruned model keeps its parent held, so undo works, while other models are freed', { timeout: 90_000 }, async () => {
  const events: JobEvent[] = [];
  const service = createService({ emit: (e) => events.push(e), recent: null, maxOpenModels: 2 });
  try {
    const p = (await service.openModel({ model: MODEL })).id;
    const job = await service.prune({ modelId: p, ...PRUNE_DEFAULTS, criterion: 'l1', fold: { ...PRUNE_DEFAULTS.fold, mode: 'none' }, recalibrate: false });
    const other = (await service.openModel({ model: MODEL })).id; // opened while the prune runs
    await ended(events, [job]);
    const child = (events.find((e) => e.jobId === job.jobId && e.type === 'done') as Extract<JobEvent, { type: 'done' }>).result as { model: { id: string } };
    assert.deepEqual(service.heldModels().sort(), [p, child.model.id].sort());
    assert.ok(!service.heldModels().includes(other));
    assert.equal((await service.undo({ modelId: child.model.id })).id, p);
  } finally {
    service.close();
  }
});

test('a model set aside comes back with its statistics; beyond the disk limit the oldest are freed with one sentence', { timeout: 90_000 }, async () => {
  const events: JobEvent[] = [];
  const service = createService({ emit: (e) => events.push(e), recent: null, maxOpenModels: 1 });
  try {
    const a = await service.openModel({ model: MODEL });
    const stats = { data: 'fashion-mnist', split: 'test' as const, limit: 20, seed: 0, preprocess: a.preprocessing };
    const job = await service.runStats({ modelId: a.id, ...stats });
    await ended(events, [job]);
    const block = a.summary.seBlocks[0].name;
    const before = await service.blockStats({ modelId: a.id, block });
    const b = await service.openModel({ model: 'zoo:se-mobilenet-demo' });
    assert.deepEqual(service.heldModels(), [b.id], 'a is set aside');
    assert.deepEqual(await service.blockStats({ modelId: a.id, block }), before, 'its statistics came back from disk');
    assert.deepEqual(service.heldModels(), [a.id]);
    assert.equal((await service.sessionModels()).find((m) => m.id === a.id)?.stats?.n, 20);
  } finally {
    service.close();
  }
  // A disk limit below two models: setting the second aside forgets the first.
  const small = createService({ emit: () => {}, recent: null, maxOpenModels: 1, maxSpillBytes: 500_000 });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await small.openModel({ model: MODEL })).id);
    assert.deepEqual((await small.sessionModels()).map((m) => m.id), ids.slice(1));
    await assert.rejects(small.undo({ modelId: ids[0] }), /^UserError: That model is no longer open; open it again from Start\.$/);
  } finally {
    small.close();
  }
});
