/**
 * Save and reopen a session through the service: statistics, a prune and a fine-tune, saved as one
 * `.seprune`, come back in a fresh service as the same models (bit-exact weights: equal content
 * hashes), with their parents, statistics, labels, preprocessing and history; the file's own model
 * is the current one, and the CLI's loader reads it as that model. Bad paths and an existing file
 * without "replace" are refused with one sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceHarness } from './service-harness.js';
import type { DataChoice, FinetuneResult, PruneResult } from './contract.js';
import { PRUNE_DEFAULTS } from './contract.js';
import { loadModel } from '../import/load.js';
import { graphHash } from '../model/graph-hash.js';
import { OutputExistsError } from '../model/errors.js';

const harness = () => serviceHarness({}, 120_000);

test('a saved session reopens as the same models, parents, statistics and history; the CLI reads its current model', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-save-'));
  const a = harness();
  const b = harness();
  try {
    const s = a.service;
    const opened = await s.openModel({ model: 'zoo:se-mobilenet-demo-fmnist' });
    const data: DataChoice = { data: 'fashion-mnist', split: 'train', limit: 64, seed: 0, preprocess: opened.preprocessing };
    const stats = await a.until((await s.runStats({ modelId: opened.id, ...data })).jobId);
    assert.equal(stats.type, 'done', JSON.stringify(stats));
    const pruneEv = await a.until((await s.prune({ modelId: opened.id, ...structuredClone(PRUNE_DEFAULTS) })).jobId);
    assert.equal(pruneEv.type, 'done', JSON.stringify(pruneEv));
    const pruned = (pruneEv as { result: PruneResult }).result.model;
    const ftEv = await a.until((await s.finetune({ modelId: pruned.id, data, epochs: 1, batchSize: 32, lr: null, optimizer: 'sgd', teacherId: null, evalLimit: 32, engine: 'tfjs' })).jobId);
    assert.equal(ftEv.type, 'done', JSON.stringify(ftEv));
    const tuned = (ftEv as { result: FinetuneResult }).result.model;
    const before = await s.sessionModels();
    assert.deepEqual(before.map((m) => m.id), [opened.id, pruned.id, tuned.id]);

    const path = join(dir, 'work.seprune');
    const saved = await s.saveProject({ modelId: pruned.id, path, force: false });
    assert.equal(saved.models, 3);
    assert.ok(saved.bytes > 0);

    // A fresh app opens the file: all three models, the pruned one current.
    const current = await b.service.openModel({ model: path });
    const after = await b.service.sessionModels();
    assert.equal(after.length, 3);
    assert.equal(current.id, after[1].id);
    assert.deepEqual(after.map((m) => m.hash), before.map((m) => m.hash), 'bit-exact weights');
    assert.deepEqual(after.map((m) => m.source), before.map((m) => m.source));
    assert.deepEqual(after.map((m) => m.origin.kind), ['opened', 'pruned', 'finetuned']);
    assert.equal(after[1].origin.parent, after[0].id);
    assert.equal(after[2].origin.parent, after[1].id);
    assert.deepEqual(after.map((m) => m.summary.params), before.map((m) => m.summary.params));
    assert.deepEqual(after.map((m) => m.classNames), before.map((m) => m.classNames));
    assert.deepEqual(after.map((m) => m.preprocessing), before.map((m) => m.preprocessing));
    // Statistics come back where they were gathered on the very graph (the opened and the pruned model).
    assert.deepEqual(after.map((m) => m.stats?.n ?? null), before.map((m) => m.stats?.n ?? null));
    assert.ok(after[0].stats && after[1].stats, 'statistics of the opened and pruned model');
    const block = after[1].stats!.blocks[0].name;
    assert.deepEqual(await b.service.blockStats({ modelId: after[1].id, block }), await s.blockStats({ modelId: pruned.id, block }));
    // Undo works in the reopened session.
    assert.equal((await b.service.undo({ modelId: after[1].id })).id, after[0].id);

    // The CLI's loader reads the file as its current model, with the steps that made it.
    const cli = await loadModel(path);
    assert.equal(graphHash(cli.project.graph), pruned.hash);
    assert.deepEqual(cli.project.history.map((h) => h.step).slice(-2), ['stats', 'prune']);
    assert.deepEqual(cli.project.session?.models[2].project?.history.map((h) => h.step).slice(-3), ['stats', 'prune', 'finetune']);

    // Mistakes: one sentence each; an existing file needs force.
    await assert.rejects(s.saveProject({ modelId: pruned.id, path, force: false }), (e: Error) => e instanceof OutputExistsError);
    assert.equal((await s.saveProject({ modelId: tuned.id, path, force: true })).models, 3);
    assert.equal(graphHash((await loadModel(path)).project.graph), tuned.hash);
    await assert.rejects(s.saveProject({ modelId: pruned.id, path: join(dir, 'work.onnx'), force: false }), /saved as a \.seprune file; work\.onnx has another ending\./);
    await assert.rejects(s.saveProject({ modelId: pruned.id, path: join(dir, 'nope', 'x.seprune'), force: false }), /The folder .*nope does not exist\./);
    await assert.rejects(s.saveProject({ modelId: pruned.id, path: '  ', force: false }), /Choose where to save the project\./);
    await assert.rejects(s.saveProject({ modelId: 'm999', path, force: true }), /no longer open/);
  } finally {
    a.service.close();
    b.service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a saved session whose model list is inconsistent is refused with one sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-save-bad-'));
  const s = harness().service;
  try {
    const m = await s.openModel({ model: 'zoo:se-resnet-demo' });
    const path = join(dir, 'a.seprune');
    await s.saveProject({ modelId: m.id, path, force: false });
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(path);
    const hlen = bytes.readUInt32LE(12);
    const header = JSON.parse(bytes.subarray(16, 16 + hlen).toString('utf8')) as { session: { current: number; models: { origin: { parent?: number } }[] } };
    const rewrite = (edit: (h: typeof header) => void): string => {
      const h = structuredClone(header);
      edit(h);
      const json = Buffer.from(JSON.stringify(h));
      const pad = (8 - ((16 + json.length) % 8)) % 8;
      const start = 16 + hlen + ((8 - ((16 + hlen) % 8)) % 8);
      const out = Buffer.concat([bytes.subarray(0, 12), Buffer.from(Uint32Array.of(json.length).buffer), json, Buffer.alloc(pad), bytes.subarray(start)]);
      const p = join(dir, `bad-${Math.random().toString(36).slice(2)}.seprune`);
      writeFileSync(p, out);
      return p;
    };
    const cases: [(h: typeof header) => void, RegExp][] = [
      [(h) => (h.session.current = 5), /current model 5 is not one of its 1 models\./],
      [(h) => (h.session.models[0].origin.parent = 0), /made from 0, which is not an earlier model of the session\./],
      [(h) => (h.session.models = []), /a session of 0 models/],
      [(h) => ((h.session as unknown as { models: unknown }).models = 'x'), /where a list of models is needed\./],
    ];
    for (const [edit, msg] of cases) {
      await assert.rejects(s.openModel({ model: rewrite(edit) }), (e: Error) => msg.test(e.message) && !e.message.includes('\n'));
    }
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
