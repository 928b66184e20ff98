/**
 * The app's api over HTTP, without a browser: the token guards the POST routes too, calls must be
 * JSON, a user mistake answers 400 with one sentence; openModel's summary is the core's; a stats
 * job streams progress and its result over /api/events; previewPrune equals the pipeline run
 * directly; a prune job makes a smaller model and undo returns to its parent; cancel stops a job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppServer, type AppServer } from './server.js';
import type { JobEvent, ModelInfo, PlanPreview, PruneResult, SeBlockStatsDto, StatsResult } from './contract.js';
import { PRUNE_DEFAULTS, TOKEN_HEADER } from './contract.js';
import { loadModel } from '../import/load.js';
import { summarize } from '../model/summary.js';
import { planPruneRun } from '../../pruning/pipeline.js';

const MODEL = 'zoo:se-mobilenet-demo';

async function withServer(fn: (s: AppServer, call: <T>(m: string, body?: unknown) => Promise<T>, events: JobEvent[]) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'seprune-api-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const s = await startAppServer({ root, port: 0, configDir: join(root, 'config') });
  const auth = { [TOKEN_HEADER]: s.token };
  const events: JobEvent[] = [];
  // Subscribe to the event stream with the token header.
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
  const call = async <T>(m: string, body?: unknown): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${s.port}/api/${m}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body ?? null) });
    const j = (await res.json()) as T & { error?: string };
    if (!res.ok) throw Object.assign(new Error(j.error ?? String(res.status)), { status: res.status });
    return j;
  };
  try {
    await fn(s, call, events);
  } finally {
    stream.destroy();
    await s.close();
    rmSync(root, { recursive: true, force: true });
  }
}

async function until(events: JobEvent[], jobId: string): Promise<JobEvent> {
  for (let i = 0; i < 600; i++) {
    const e = events.find((x) => x.jobId === jobId && x.type !== 'progress' && x.type !== 'queued');
    if (e) return e;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

test('api routes need the token and JSON; a mistake is a 400 with one sentence', async () => {
  await withServer(async (s, call) => {
    const base = `http://127.0.0.1:${s.port}/api`;
    assert.equal((await fetch(`${base}/listZoo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 403);
    assert.equal((await fetch(`${base}/events`)).status, 403);
    const auth = { [TOKEN_HEADER]: s.token };
    assert.equal((await fetch(`${base}/listZoo`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: '{}' })).status, 415);
    await assert.rejects(call('openModel', { model: 'zoo:no-such-model' }), (e: Error & { status: number }) => e.status === 400 && /Unknown zoo model/.test(e.message) && !e.message.includes('\n'));
    await assert.rejects(call('previewPrune', { modelId: 'm999', ...PRUNE_DEFAULTS }), /no longer open/);
  });
});

test('open → stats job → preview equals the pipeline → prune job → undo; cancel stops a job', { timeout: 60_000 }, async () => {
  await withServer(async (_s, call, events) => {
    const m = await call<ModelInfo>('openModel', { model: MODEL });
    const loaded = await loadModel(MODEL);
    const summary = summarize(loaded.project.graph);
    assert.deepEqual(m.summary, JSON.parse(JSON.stringify(summary)));
    assert.equal(m.diagram.filter((b) => b.se).length, summary.seBlocks.length);
    assert.equal(m.diagram.reduce((a, b) => a + b.params, 0), summary.params);

    // Preview before statistics: the gate criterion says what is missing.
    await assert.rejects(call('previewPrune', { modelId: m.id, ...PRUNE_DEFAULTS }), /run the statistics first/);

    const data = { data: 'fashion-mnist', split: 'train', limit: 120, seed: 0, preprocess: m.preprocessing };
    const job = await call<{ jobId: string }>('runStats', { modelId: m.id, ...data });
    const done = await until(events, job.jobId);
    assert.equal(done.type, 'done', JSON.stringify(done));
    const summaryStats = (done as { result: StatsResult }).result.stats;
    assert.equal(summaryStats.n, 120);
    assert.deepEqual(summaryStats.blocks.map((b) => b.channels), summary.seBlocks.map((b) => b.channels));
    // The result carries per-block numbers only; each block's arrays come from blockStats.
    assert.ok(!('mean' in summaryStats.blocks[0]));
    const blocks = await Promise.all(summaryStats.blocks.map((b) => call<SeBlockStatsDto>('blockStats', { modelId: m.id, block: b.name })));
    for (const [i, b] of blocks.entries()) assert.equal(b.identityDistance, summaryStats.blocks[i].identityDistance);
    const stats = { ...summaryStats, blocks };
    assert.ok(events.some((e) => e.jobId === job.jobId && e.type === 'progress'));

    const settings = { ...PRUNE_DEFAULTS, target: { targetMacs: 0.5 } };
    const preview = await call<PlanPreview>('previewPrune', { modelId: m.id, ...settings });
    const direct = planPruneRun(loaded.project.graph, MODEL, { criterion: 'se-mean', residual: 'freeze', target: { targetMacs: 0.5 }, minChannels: 1, roundTo: 1, seed: 0, fold: { mode: 'auto', constantThreshold: 0.01, identityThreshold: 0.02 } }, { stats: stats as never });
    assert.equal(preview.macsAfter, direct.plan.macs.after);
    assert.equal(preview.paramsAfter, direct.plan.params.after);
    assert.deepEqual(preview.groups.map((g) => g.keep), direct.plan.groups.map((g) => g.keep));
    for (const g of preview.groups) if (g.gate) assert.equal(g.gate.removed.length, g.removed);

    const pj = await call<{ jobId: string }>('prune', { modelId: m.id, ...settings });
    const pd = await until(events, pj.jobId);
    assert.equal(pd.type, 'done', JSON.stringify(pd));
    const r = (pd as { result: PruneResult }).result;
    assert.equal(r.report.macsAfterPruning, preview.macsAfter);
    assert.ok(r.model.summary.params < summary.params);
    assert.equal(r.model.summary.params, r.report.paramsAfter);
    assert.equal(m.origin.kind, 'opened');
    assert.deepEqual(r.model.origin, { kind: 'pruned', parent: m.id, path: m.origin.path });
    const back = await call<ModelInfo>('undo', { modelId: r.model.id });
    assert.equal(back.id, m.id);
    await assert.rejects(call('undo', { modelId: m.id }), /Nothing to undo/);

    // Cancel: a job on the whole training split stops at its next batch.
    const big = await call<{ jobId: string }>('runStats', { modelId: m.id, ...data, limit: 60000 });
    assert.deepEqual(await call('cancelJob', { jobId: big.jobId }), { cancelled: true });
    assert.equal((await until(events, big.jobId)).type, 'cancelled');
  });
});
