/**
 * Opening files without typing a path, over the browser host's HTTP api: the upload route, the
 * read-only file browser, the recent-files list and one block's statistics. Each refuses a call
 * without the token; uploads land only in the session folder (names with folder parts or `..`
 * are refused, nothing half-written is left), over-limit uploads answer 413 with one sentence;
 * the browser lists folders and model files, never contents, and says when a folder is a
 * dataset; recent files survive a new host on the same config folder, are marked when missing,
 * and can be removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAppServer, type AppServer } from './server.js';
import { RecentFiles, configDir } from './recent.js';
import { checkUploadHeader, checkUploadName, receiveUpload, UploadError } from './upload.js';
import type { BrowseListing, JobEvent, ModelInfo, RecentFile, SeBlockStatsDto } from './contract.js';
import { TOKEN_HEADER, UPLOAD_ROUTE, type UploadLimits } from './contract.js';

const fixtures = fileURLToPath(new URL('../import/fixtures/', import.meta.url));
const KERAS = join(fixtures, 'keras-se');
const ONNX = join(fixtures, 'se-resnet-ts13.onnx');

/** The upload body the renderer sends (contract.ts, UPLOAD_ROUTE). */
function uploadBody(files: { name: string; data: Uint8Array }[], header?: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(header ?? { files: files.map((f) => ({ name: f.name, bytes: f.data.length })) }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  return Buffer.concat([len, json, ...files.map((f) => Buffer.from(f.data))]);
}

interface Harness {
  s: AppServer;
  config: string;
  call: <T>(m: string, body?: unknown) => Promise<T>;
  upload: (body: Buffer, type?: string) => Promise<{ status: number; json: ModelInfo & { error?: string } }>;
  events: JobEvent[];
}

async function withServer(fn: (h: Harness) => Promise<void>, o: { config?: string; limits?: UploadLimits } = {}): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'seprune-files-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const config = o.config ?? join(root, 'config');
  const s = await startAppServer({ root, port: 0, configDir: config, ...(o.limits ? { uploadLimits: o.limits } : {}) });
  const auth = { [TOKEN_HEADER]: s.token };
  const events: JobEvent[] = [];
  const call = async <T>(m: string, body?: unknown): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${s.port}/api/${m}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body ?? null) });
    const j = (await res.json()) as T & { error?: string };
    if (!res.ok) throw Object.assign(new Error(j.error ?? String(res.status)), { status: res.status });
    return j;
  };
  const upload = async (body: Buffer, type = 'application/octet-stream') => {
    const res = await fetch(`http://127.0.0.1:${s.port}${UPLOAD_ROUTE}`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
    return { status: res.status, json: (await res.json()) as ModelInfo & { error?: string } };
  };
  try {
    await fn({ s, config, call, upload, events });
  } finally {
    await s.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const oneSentence = (m: string | undefined): boolean => !!m && !m.includes('\n') && !/\bat .*\.ts:\d+/.test(m);

test('every new route refuses a request without the token', async () => {
  await withServer(async ({ s }) => {
    const base = `http://127.0.0.1:${s.port}`;
    for (const m of ['browse', 'recentFiles', 'forgetRecent', 'blockStats']) {
      const res = await fetch(`${base}/api/${m}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"folder"}' });
      assert.equal(res.status, 403, m);
    }
    const wrong = await fetch(`${base}/api/browse`, { method: 'POST', headers: { [TOKEN_HEADER]: 'nope', 'content-type': 'application/json' }, body: '{"kind":"folder"}' });
    assert.equal(wrong.status, 403);
    const up = await fetch(`${base}${UPLOAD_ROUTE}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: uploadBody([{ name: 'm.onnx', data: readFileSync(ONNX) }]) });
    assert.equal(up.status, 403);
    assert.deepEqual(readdirSync(s.sessionDir), ['owner.pid'], 'nothing stored without the token');
  });
});

test('upload: an ONNX file and a TF.js model.json with its shards open; both land in the session folder and in recent files', async () => {
  await withServer(async ({ s, call, upload }) => {
    const onnx = await upload(uploadBody([{ name: 'se-resnet.onnx', data: readFileSync(ONNX) }]));
    assert.equal(onnx.status, 200, onnx.json.error);
    assert.ok(onnx.json.summary.seBlocks.length > 0);
    assert.ok(resolve(onnx.json.source).startsWith(s.sessionDir + '/'), onnx.json.source);
    assert.equal(basename(onnx.json.source), 'se-resnet.onnx');

    const names = ['model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin'];
    const keras = await upload(uploadBody(names.map((name) => ({ name, data: readFileSync(join(KERAS, name)) }))));
    assert.equal(keras.status, 200, keras.json.error);
    assert.ok(keras.json.summary.seBlocks.length > 0);

    const recent = await call<RecentFile[]>('recentFiles');
    assert.deepEqual(
      recent.map((r) => [r.kind, r.label, r.exists]),
      [
        ['model', 'model.json', true],
        ['model', 'se-resnet.onnx', true],
      ],
    );
    // Reopening an uploaded file by its path keeps its name in the list.
    await call<ModelInfo>('openModel', { model: onnx.json.source });
    assert.deepEqual((await call<RecentFile[]>('recentFiles')).map((r) => r.label), ['se-resnet.onnx', 'model.json']);

    // Only the two upload folders, no leftovers of the incoming ones.
    assert.equal(readdirSync(s.sessionDir).filter((n) => n.startsWith('upload-')).length, 2);
    assert.deepEqual(readdirSync(s.sessionDir).filter((n) => n.startsWith('.')), []);
  });
});

test('upload: traversal names, bad bodies, a model that does not open and over-limit uploads are refused with one sentence and leave nothing behind', async () => {
  const limits = { maxFiles: 4, maxBytes: 300_000, maxHeaderBytes: 4096 };
  await withServer(
    async ({ s, upload }) => {
      const onnx = readFileSync(ONNX);
      const cases: [string, Buffer, number, RegExp][] = [
        ['parent folder', uploadBody([{ name: '../evil.onnx', data: onnx }]), 400, /not allowed/],
        ['absolute path', uploadBody([{ name: '/tmp/evil.onnx', data: onnx }]), 400, /not allowed/],
        ['windows path', uploadBody([{ name: '..\\evil.onnx', data: onnx }]), 400, /not allowed/],
        ['dot file', uploadBody([{ name: '.bashrc.json', data: onnx }]), 400, /not allowed/],
        ['no model', uploadBody([{ name: 'weights.bin', data: onnx }]), 400, /holds no model/],
        ['two models', uploadBody([{ name: 'a.onnx', data: onnx.subarray(0, 10) }, { name: 'b.onnx', data: onnx.subarray(0, 10) }]), 400, /one model at a time/],
        ['duplicate', uploadBody([{ name: 'model.json', data: onnx.subarray(0, 10) }, { name: 'MODEL.JSON', data: onnx.subarray(0, 10) }]), 400, /twice|one model/],
        ['too many files', uploadBody(['model.json', 'a.bin', 'b.bin', 'c.bin', 'd.bin'].map((name) => ({ name, data: new Uint8Array(1) }))), 400, /at most 4 files/],
        ['over the size limit (header)', uploadBody([{ name: 'm.onnx', data: new Uint8Array(10) }], { files: [{ name: 'm.onnx', bytes: 400_000 }] }), 413, /over the/],
        ['over the size limit (body)', uploadBody([{ name: 'm.onnx', data: new Uint8Array(400_000) }]), 413, /over the/],
        ['cut short', uploadBody([{ name: 'm.onnx', data: onnx.subarray(0, 1000) }], { files: [{ name: 'm.onnx', bytes: 2000 }] }), 400, /cut short/],
        ['longer than said', uploadBody([{ name: 'm.onnx', data: onnx.subarray(0, 1000) }], { files: [{ name: 'm.onnx', bytes: 500 }] }), 400, /longer than/],
        ['header not JSON', Buffer.concat([Buffer.from([3, 0, 0, 0]), Buffer.from('{x}')]), 400, /not JSON/],
        ['empty', Buffer.alloc(0), 400, /empty or cut short/],
        ['not a model', uploadBody([{ name: 'broken.onnx', data: new TextEncoder().encode('this is not an onnx file') }]), 400, /broken\.onnx/],
      ];
      for (const [what, body, status, message] of cases) {
        const r = await upload(body);
        assert.equal(r.status, status, `${what}: ${r.json.error}`);
        assert.match(r.json.error ?? '', message, what);
        assert.ok(oneSentence(r.json.error), `${what}: ${r.json.error}`);
      }
      assert.equal((await upload(uploadBody([{ name: 'm.onnx', data: onnx.subarray(0, 10) }]), 'application/json')).status, 415);
      assert.deepEqual(readdirSync(s.sessionDir), ['owner.pid'], 'no file and no half-written folder is left');
      assert.ok(!existsSync(join(s.sessionDir, '..', 'evil.onnx')));
      assert.ok(!existsSync('/tmp/evil.onnx'));
    },
    { limits },
  );
});

test('upload header and name checks (unit)', async () => {
  for (const bad of ['', '.', '..', '../x.onnx', 'a/b.onnx', 'a\\b.onnx', 'x\0.onnx', 'x\n.onnx', '.hidden.onnx', 'x'.repeat(201)]) {
    assert.throws(() => checkUploadName(bad), UploadError, JSON.stringify(bad));
  }
  assert.equal(checkUploadName('group1-shard1of2.bin'), 'group1-shard1of2.bin');
  assert.equal(checkUploadHeader({ files: [{ name: 'w.bin', bytes: 1 }, { name: 'model.json', bytes: 2 }] }).main, 1);
  assert.throws(() => checkUploadHeader({ files: [{ name: 'm.onnx', bytes: 1 }, { name: 'w.bin', bytes: 1 }] }), /whole model on its own/);
  assert.throws(() => checkUploadHeader({ files: [{ name: 'm.onnx', bytes: -1 }] }), /not valid/);
  assert.throws(() => checkUploadHeader(null), /no files/);
  // A stream that ends early leaves no folder behind.
  const dir = mkdtempSync(join(tmpdir(), 'seprune-up-'));
  try {
    const body = uploadBody([{ name: 'm.onnx', data: new Uint8Array(100) }]);
    async function* chunks() {
      yield body.subarray(0, 3);
      yield body.subarray(3, 40);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    await assert.rejects(receiveUpload(chunks(), dir), /cut short/);
    assert.deepEqual(readdirSync(dir), []);
    // The same body split at every awkward place arrives whole.
    async function* split() {
      for (let i = 0; i < body.length; i += 7) yield body.subarray(i, i + 7);
    }
    const r = await receiveUpload(split(), dir);
    assert.equal(readFileSync(r.main).length, 100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('browse lists folders and model files (never contents), recognises dataset folders, and refuses bad paths with one sentence', async () => {
  await withServer(async ({ call }) => {
    const dir = mkdtempSync(join(tmpdir(), 'seprune-browse-'));
    try {
      mkdirSync(join(dir, 'sub'));
      mkdirSync(join(dir, '.hidden'));
      writeFileSync(join(dir, 'a.onnx'), 'x');
      writeFileSync(join(dir, 'model.json'), '{}');
      writeFileSync(join(dir, 'notes.txt'), 'secret');
      const l = await call<BrowseListing>('browse', { path: dir, kind: 'model' });
      assert.equal(l.path, dir);
      assert.equal(l.parent, resolve(dir, '..'));
      assert.deepEqual(l.entries.map((e) => [e.name, e.type]), [
        ['sub', 'folder'],
        ['a.onnx', 'model'],
        ['model.json', 'model'],
      ]);
      assert.equal(l.entries.find((e) => e.name === 'a.onnx')?.bytes, 1);
      assert.ok(!JSON.stringify(l).includes('secret'), 'no file contents');
      assert.deepEqual((await call<BrowseListing>('browse', { path: dir, kind: 'folder' })).entries.map((e) => e.name), ['sub']);
      assert.ok((await call<BrowseListing>('browse', { path: dir, kind: 'folder', hidden: true })).entries.some((e) => e.name === '.hidden'));
      // `..` segments are resolved, not passed through.
      assert.equal((await call<BrowseListing>('browse', { path: join(dir, 'sub', '..', 'sub', '..'), kind: 'folder' })).path, dir);
      assert.equal((await call<BrowseListing>('browse', { path: '/', kind: 'folder' })).parent, null);
      assert.equal((await call<BrowseListing>('browse', { path: dir, kind: 'folder' })).dataset, null);

      if (existsSync('/usr/share/datasets/fashion-mnist')) {
        const fm = await call<BrowseListing>('browse', { path: '/usr/share/datasets/fashion-mnist', kind: 'folder' });
        assert.equal(fm.dataset, 'idx');
      }
      const home = await call<BrowseListing>('browse', { kind: 'folder' });
      assert.ok(home.places.some((p) => p.label === 'Home' && p.path === home.path));

      for (const [req, msg] of [
        [{ path: join(dir, 'nope'), kind: 'folder' }, /does not exist/],
        [{ path: join(dir, 'notes.txt'), kind: 'folder' }, /is a file, not a folder/],
        [{ path: dir, kind: 'everything' }, /Say what to choose/],
        [{ path: `${dir}\0x`, kind: 'folder' }, /not valid/],
      ] as const) {
        await assert.rejects(call('browse', req), (e: Error & { status: number }) => e.status === 400 && msg.test(e.message) && oneSentence(e.message));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('recent files persist across hosts in the config folder, are marked when missing, removable, and a corrupt list is an empty one', async () => {
  const base = mkdtempSync(join(tmpdir(), 'seprune-recent-'));
  const config = join(base, 'config');
  const model = join(base, 'copy.onnx');
  writeFileSync(model, readFileSync(ONNX));
  try {
    await withServer(
      async ({ call }) => {
        assert.deepEqual(await call('recentFiles'), []);
        await call<ModelInfo>('openModel', { model });
        await call<ModelInfo>('openModel', { model: 'zoo:se-mobilenet-demo' }); // zoo models are not files
        await assert.rejects(call('openModel', { model: join(base, 'missing.onnx') })); // failures are not remembered
      },
      { config },
    );
    const stored = JSON.parse(readFileSync(join(config, 'recent.json'), 'utf8')) as { items: RecentFile[] };
    assert.deepEqual(stored.items.map((i) => i.path), [model]);
    assert.deepEqual(readdirSync(config), ['recent.json'], 'no temp file left by the atomic write');

    rmSync(model);
    await withServer(
      async ({ call }) => {
        const list = await call<RecentFile[]>('recentFiles');
        assert.deepEqual(list.map((r) => [r.path, r.kind, r.exists]), [[model, 'model', false]]);
        assert.deepEqual(await call('forgetRecent', { path: model, kind: 'model' }), []);
        await assert.rejects(call('forgetRecent', { path: 3 }), /The forgetRecent request needs path as a string\.$/);
      },
      { config },
    );

    writeFileSync(join(config, 'recent.json'), '{ not json');
    const r = new RecentFiles(config);
    assert.deepEqual(r.list(), []);
    r.add(base, 'data');
    assert.deepEqual(r.list().map((x) => [x.kind, x.exists]), [['data', true]]);

    assert.equal(configDir({ SEPRUNE_CONFIG_DIR: '/x/y' }), '/x/y');
    assert.equal(configDir({ XDG_CONFIG_HOME: '/cfg' }), '/cfg/seprune-studio');
    assert.match(configDir({}), /\.config\/seprune-studio$/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('blockStats answers one SE block of a model whose statistics ran; the model carries only per-block numbers', { timeout: 60_000 }, async () => {
  await withServer(async ({ s, call }) => {
    const m = await call<ModelInfo>('openModel', { model: 'zoo:se-mobilenet-demo' });
    const block = m.summary.seBlocks[1].name;
    await assert.rejects(call('blockStats', { modelId: m.id, block }), /no gate statistics yet/);
    await s.service.runStats({ modelId: m.id, data: 'fashion-mnist', split: 'train', limit: 40, seed: 0, preprocess: m.preprocessing });
    // The job's events are tested in server.test.ts; here, wait until the block answers.
    for (let i = 0; i < 600; i++) {
      const ok = await call('blockStats', { modelId: m.id, block }).then(() => true, (e: Error) => (/no gate statistics yet/.test(e.message) ? false : Promise.reject(e)));
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const b = await call<SeBlockStatsDto>('blockStats', { modelId: m.id, block });
    assert.equal(b.name, block);
    assert.equal(b.mean.length, m.summary.seBlocks[1].channels);
    assert.equal(b.perClassMean.length, 10);
    assert.equal(b.perClassMean[0].length, b.channels);
    await assert.rejects(call('blockStats', { modelId: m.id, block: 'no.such.se' }), /no SE block named no\.such\.se/);
    await assert.rejects(call('blockStats', { modelId: 'm999', block }), /no longer open/);
  });
});
